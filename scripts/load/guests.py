"""Locust scenario for scripts/bench-load: guests who open Airtime, upload one real clip,
watch its progress bar as the browser does (a poll every 700 ms), read their result and browse.

Each simulated guest has its own address, sent as X-Forwarded-For (the server runs with one
trusted proxy, as behind a real one), so the per-address limits apply to each guest as they
would in production instead of to all of them together.

Every response is recorded by kind (page, upload, poll, result) with its status, and written as
JSON to $LOAD_RECORD when the run stops; bench-load turns that into the table.
"""

import json
import os
import random
import time
from collections import defaultdict

from locust import HttpUser, events, task

CLIP = os.environ["LOAD_CLIP"]
JUMP = os.environ.get("LOAD_JUMP", "cmj")
RECORD = os.environ["LOAD_RECORD"]
POLL_EVERY = 0.7  # seconds, as src/app/pages/analysis.rs
PAGES = ["/", "/signin", "/signup"]

with open(CLIP, "rb") as f:
    VIDEO = f.read()

samples = defaultdict(list)  # kind -> [ms]
statuses = defaultdict(lambda: defaultdict(int))  # kind -> status -> count
uploads = {"accepted": 0, "retried": 0, "refused": 0}
next_address = [0]


@events.request.add_listener
def record(request_type, name, response_time, response_length, response, exception, **_):
    kind = name.split(" ", 1)[0]
    status = getattr(response, "status_code", 0) or 0
    label = str(status)
    if status >= 400 and kind in ("upload", "poll", "result"):
        try:
            label += " " + response.json()["code"]
        except Exception:
            pass
    statuses[kind][label] += 1
    if status and status < 500:
        samples[kind].append(response_time)


@events.quitting.add_listener
def write_record(environment, **_):
    with open(RECORD, "w") as f:
        json.dump({"samples": samples, "statuses": statuses, "uploads": uploads}, f)


class Guest(HttpUser):
    def on_start(self):
        next_address[0] += 1
        n = next_address[0]
        self.client.headers["X-Forwarded-For"] = f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"
        self.client.headers["Origin"] = self.host
        self.analysis = None
        self.active = False
        self.page("/")
        # Reading the page and picking the file: arrivals spread out as people's do, instead
        # of each second's batch of new users uploading in the same millisecond.
        self.retry_at = time.monotonic() + random.uniform(1.0, 4.0)

    def wait_time(self):
        return POLL_EVERY if self.active else random.uniform(1.0, 3.0)

    def page(self, path, name=None):
        self.client.get(path, name=f"page {name or path}")

    def upload(self):
        r = self.client.post(
            f"/api/analyses?jump_type={JUMP}",
            data=VIDEO,
            headers={"Content-Type": "video/mp4"},
            name="upload",
        )
        if r.status_code == 201:
            uploads["accepted"] += 1
            self.analysis = r.json()["id"]
            self.active = True
            self.page(f"/analyses/{self.analysis}", "/analyses/{id}")
        elif r.status_code in (429, 503, 507):
            # The form shows the message and the guest tries again when told to.
            uploads["retried"] += 1
            self.retry_at = time.monotonic() + float(r.headers.get("Retry-After", "10"))
        else:
            # Refused for good (the bench counts these as failures): browse instead.
            uploads["refused"] += 1
            self.analysis = ""

    def poll(self):
        r = self.client.post("/api/analysis_progress", data={"id": self.analysis}, name="poll")
        if r.status_code == 200 and r.json().get("status") not in ("queued", "running"):
            self.active = False
            self.client.post("/api/analysis_view", data={"id": self.analysis}, name="result")

    def browse(self):
        if self.analysis and random.random() < 0.5:
            self.page(f"/analyses/{self.analysis}", "/analyses/{id}")
        else:
            self.page(random.choice(PAGES))

    @task
    def next_step(self):
        if self.active:
            self.poll()
        elif self.analysis is None and time.monotonic() >= self.retry_at:
            self.upload()
        else:
            self.browse()
