"""podcast.xml: the show feed, RSS 2.0 as the apps read it, written by the RSS renderer with two
feedgen extensions registered: iTunes (feedpub.render.itunes) and Podcasting 2.0
(feedpub.render.podcastindex). Every channel and item element the other feeds carry is the same;
the podcast tags come from site.yaml's `podcast:` (the show) and each episode's front matter.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from feedgen.feed import FeedGenerator

from feedpub.catalogue import PODCAST, Feed
from feedpub.config import SiteConfig
from feedpub.model import FeedItem
from feedpub.podcast.show import PodcastShow
from feedpub.render import itunes, podcastindex
from feedpub.render.common import clean, feed_url, uri
from feedpub.render.rss import RssExtras, rss_document


def render_podcast(site: SiteConfig, feed: Feed, items: Sequence[FeedItem]) -> bytes:
    show = site.podcast
    if show is None:
        raise ValueError("podcast.xml needs site.yaml's podcast: show")
    guid = show.guid_for(feed_url(site, feed.path(PODCAST)))
    extras = RssExtras(
        language=show.language_for(site),
        image=show.image,
        copyright=show.copyright,
        channel=lambda fg: _show(fg, site, show, guid),
        entry=_episode,
    )
    return rss_document(site, feed, items, PODCAST, extras)


def _show(fg: FeedGenerator, site: SiteConfig, show: PodcastShow, guid: str) -> None:
    fg.register_extension(itunes.EXTENSION, itunes.ItunesShow, itunes.ItunesEpisode, atom=False)
    fg.register_extension(
        podcastindex.EXTENSION, podcastindex.PodcastIndexShow, podcastindex.PodcastIndexEpisode, atom=False
    )
    tags = fg.itunes
    tags.itunes_image(uri(show.image))
    tags.itunes_category(
        [{"cat": top, "sub": sub} if sub else {"cat": top} for top, sub in show.category_pairs]
    )
    tags.itunes_explicit(show.explicit)
    tags.itunes_owner(clean(show.owner.name) or None, show.owner.email)
    author = show.author_for(site)
    if author:
        tags.itunes_author(clean(author))
    tags.itunes_type(show.type)
    if show.block:
        tags.itunes_block(True)
    if show.new_feed_url:
        tags.itunes_new_feed_url(uri(show.new_feed_url))
    index = fg.podcastindex
    index.guid(guid)
    if show.locked is not None:
        index.locked(show.locked, owner=show.owner.email)
    for funding in show.funding:
        index.funding(uri(funding.url), clean(funding.text))
    if show.complete:
        # Not Apple's itunes:complete: the W3C validator knows no such element, and its iTunes rules
        # make any itunes: element they do not define an error (Apple only stops polling the feed).
        index.complete()


def _episode(entry: Any, item: FeedItem) -> None:
    episode = item.episode
    if item.image:
        entry.itunes.itunes_image(uri(item.image))
    if episode is None:
        return
    tags, index = entry.itunes, entry.podcastindex
    if episode.duration is not None:
        tags.itunes_duration(episode.duration)
    if episode.explicit is not None:
        tags.itunes_explicit(episode.explicit)
    if episode.block:
        tags.itunes_block(True)
    if episode.episode_type is not None:
        tags.itunes_episode_type(episode.episode_type)
    if episode.number is not None:
        tags.itunes_episode(episode.number)
        index.episode(episode.number)
    if episode.season is not None:
        tags.itunes_season(episode.season)
        index.season(episode.season)
    for transcript in episode.transcripts:
        index.transcript(uri(transcript.url), transcript.type, transcript.language, transcript.rel)
    if episode.chapters:
        index.chapters(uri(episode.chapters))
    for person in episode.persons:
        index.person(
            clean(person.name),
            role=clean(person.role) or None,
            group=clean(person.group) or None,
            img=uri(person.img) if person.img else None,
            href=uri(person.href) if person.href else None,
        )
