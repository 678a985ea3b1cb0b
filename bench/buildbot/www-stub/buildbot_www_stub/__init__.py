# A stand-in for the `buildbot-www` package (the web UI's JavaScript bundle), which Debian
# does not package: Buildbot's web server refuses to start without a `base` www plugin,
# yet the REST API (/api/v2) that the benchmark uses is served by the master itself.
# This plugin only gives the server a root; it serves no UI.
from buildbot.www.plugin import Application

ep = Application(__name__, "REST API only (no web UI)", ui=False)
