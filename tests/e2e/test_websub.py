"""A real WebSub hub (flask-websub, Celery eager) and subscriber on 127.0.0.1 get new content after an upload.

feedpub pings the hub with `hub.mode=publish` naming the changed feed in both `hub.url` and
`hub.topic`; flask-websub reads the latter. The hub and subscriber are the library's own, over real HTTP.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from celery import Celery
from flask import Flask
from flask_websub.hub import Hub, SQLite3HubStorage
from flask_websub.subscriber import SQLite3SubscriberStorage, SQLite3TempSubscriberStorage, Subscriber
from werkzeug.serving import make_server

from tests.e2e.conftest import SAMPLE_CONTENT, RunningPipeline, eventually, fetch, start_pipeline
from tests.support.builders import article


class HubAndSubscriber:
    def __init__(self, workdir: Path) -> None:
        self.app = Flask("websub-e2e")
        self.app.config["PUBLISH_SUPPORTED"] = True
        celery = Celery("websub-e2e")
        celery.conf.task_always_eager = True
        self.hub = Hub(SQLite3HubStorage(str(workdir / "hub.db")), celery, REQUEST_TIMEOUT=5, MAX_ATTEMPTS=2)
        self.app.register_blueprint(self.hub.build_blueprint(url_prefix="/hub"))
        self.subscriber = Subscriber(
            SQLite3SubscriberStorage(str(workdir / "subs.db")),
            SQLite3TempSubscriberStorage(str(workdir / "temp.db")),
        )
        self.app.register_blueprint(self.subscriber.build_blueprint(url_prefix="/callbacks"))
        self.received: list[tuple[str, bytes]] = []
        self.subscribed: list[str] = []
        self.subscriber.add_listener(lambda topic, _callback_id, body: self.received.append((topic, body)))
        self.subscriber.add_success_handler(lambda topic, _callback_id, mode: self.subscribed.append(topic))
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.app.config["SERVER_NAME"] = f"127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join()

    def subscribe(self, topic: str) -> None:
        with self.app.app_context():
            self.subscriber.subscribe(topic_url=topic, hub_url=self.url + "/hub")


@pytest.fixture(scope="module")
def websub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubAndSubscriber]:
    parties = HubAndSubscriber(tmp_path_factory.mktemp("websub"))
    parties.start()
    try:
        yield parties
    finally:
        parties.stop()


@pytest.fixture(scope="module")
def dev_with_hub(
    websub: HubAndSubscriber, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningPipeline]:
    site = (SAMPLE_CONTENT / "site.yaml").read_text(encoding="utf-8") + f"hub: {websub.url}/hub\n"
    yield from start_pipeline(tmp_path_factory.mktemp("dev-hub"), site_yaml=site)


def test_the_edge_advertises_the_hub(dev_with_hub: RunningPipeline, websub: HubAndSubscriber) -> None:
    # Given site.yaml names a hub, then feeds carry it in the Link header and in the feed itself
    _, headers, body = fetch(dev_with_hub.url + "atom.xml")
    assert f'<{websub.url}/hub>; rel="hub"' in headers["Link"]
    assert f'<{dev_with_hub.url}atom.xml>; rel="self"' in headers["Link"]
    assert f'href="{websub.url}/hub"'.encode() in body


def test_a_subscriber_receives_the_new_content_after_an_upload(
    dev_with_hub: RunningPipeline, websub: HubAndSubscriber
) -> None:
    topic = dev_with_hub.url + "feed.xml"
    # Given a subscriber whose subscription to feed.xml the hub verified
    websub.subscribe(topic)
    eventually(lambda: topic in websub.subscribed, "the hub to verify the subscription")
    # When an author uploads a new article
    dev_with_hub.upload("articles/websub-news.md", article("WebSub delivers this news", tags=["e2e"]))
    # Then the hub, pinged by the publisher, pushes the new feed.xml to the subscriber
    eventually(
        lambda: any(t == topic and b"WebSub delivers this news" in body for t, body in websub.received),
        "the subscriber to receive the new feed",
    )
