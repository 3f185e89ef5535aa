"""A deterministic synthetic news site, written both as feedpub content and as a Hugo site.

Both sides get the very same posts (same titles, dates, tags and Markdown bodies), so the two
builds do comparable work: the home feed plus one feed per tag, 20 items each.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

BASE_URL = "https://feeds.example.org/"
FEED_LIMIT = 20
FIRST_DATE = datetime(2015, 1, 1, tzinfo=UTC)
SPAN = timedelta(days=365 * 10)


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_WORDS = _words(
    "film director studio premiere festival trailer sequel screenplay cast crew stunt camera "
    "audience release budget score editor producer scene story character franchise review "
    "cinema season weekend critic actor actress interview shoot location set sound light "
    "frame cut reel lens dialogue draft script opening ending twist genre drama comedy thriller "
    "horror animation documentary archive restoration print digital streaming theatre box office"
)
_TAG_WORDS = _words(
    "Action Animation Awards Casting Comedy Documentary Drama Festivals Horror "
    "Interviews Music Podcast Reviews Sequels Streaming Stunts Television Thriller Trailers"
)


@dataclass(frozen=True)
class Post:
    name: str
    title: str
    date: datetime
    tags: tuple[str, ...]
    body: str

    def front_matter(self) -> str:
        tags = ", ".join(f'"{tag}"' for tag in self.tags)
        when = self.date.strftime("%Y-%m-%dT%H:%M:%SZ")
        return f'---\ntitle: "{self.title}"\ndate: "{when}"\ntags: [{tags}]\n---\n'


def make_tags(rng: random.Random, count: int) -> list[str]:
    tags: list[str] = []
    while len(tags) < count:
        tag = f"{rng.choice(_TAG_WORDS)} {rng.choice(_WORDS).title()}"
        if tag not in tags:
            tags.append(tag)
    return tags


def _sentence(rng: random.Random) -> str:
    words = rng.choices(_WORDS, k=rng.randint(8, 20))
    if rng.random() < 0.2:
        at = rng.randrange(len(words))
        words[at] = f"*{words[at]}*"
    if rng.random() < 0.1:
        at = rng.randrange(len(words))
        words[at] = f"[{words[at]}](/topics/{words[at].strip('*')}/)"
    return " ".join(words).capitalize() + "."


def _body(rng: random.Random) -> str:
    paragraphs = []
    for index in range(rng.randint(2, 6)):
        if index and rng.random() < 0.15:
            paragraphs.append("## " + " ".join(rng.choices(_WORDS, k=4)).capitalize())
        if rng.random() < 0.1:
            paragraphs.append("\n".join(f"- {_sentence(rng)}" for _ in range(3)))
        else:
            paragraphs.append(" ".join(_sentence(rng) for _ in range(rng.randint(3, 7))))
    return "\n\n".join(paragraphs) + "\n"


def make_posts(count: int, tag_count: int, seed: int = 2024) -> list[Post]:
    rng = random.Random(seed)
    tags = make_tags(rng, tag_count)
    posts = []
    for index in range(count):
        title = " ".join(rng.choices(_WORDS, k=rng.randint(4, 9))).title()
        date = FIRST_DATE + timedelta(seconds=rng.randrange(int(SPAN.total_seconds())))
        posts.append(
            Post(
                name=f"post-{index:05d}",
                title=title,
                date=date,
                tags=tuple(rng.sample(tags, rng.randint(1, 4))),
                body=_body(rng),
            )
        )
    return posts


def write_feedpub_site(root: Path, posts: list[Post]) -> None:
    articles = root / "articles"
    articles.mkdir(parents=True)
    (root / "site.yaml").write_text(
        f"title: Bench News\nbase_url: {BASE_URL}\nlanguage: en\nfeed_limit: {FEED_LIMIT}\n", "utf-8"
    )
    for post in posts:
        (articles / f"{post.name}.md").write_text(post.front_matter() + post.body, "utf-8")


# Only the home RSS and the tag (term) RSS feeds; posts are listed but never rendered as pages.
_HUGO_CONFIG = f"""\
baseURL = "{BASE_URL}"
title = "Bench News"
languageCode = "en"
disableKinds = ["section", "taxonomy", "sitemap", "robotsTXT", "404"]
ignoreErrors = ["error-disable-taxonomy"]
[services.rss]
limit = {FEED_LIMIT}
[outputs]
home = ["RSS"]
term = ["RSS"]
page = []
[[cascade]]
[cascade._build]
render = "link"
list = "always"
[cascade._target]
kind = "page"
"""


def write_hugo_site(root: Path, posts: list[Post]) -> None:
    content = root / "content" / "posts"
    content.mkdir(parents=True)
    (root / "hugo.toml").write_text(_HUGO_CONFIG, "utf-8")
    for post in posts:
        (content / f"{post.name}.md").write_text(post.front_matter() + post.body, "utf-8")
