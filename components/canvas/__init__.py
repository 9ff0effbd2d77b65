"""Agent Canvas: upstream's current open-source OpenHands (the Canvas UI on the agent server).

Work in progress (issue 23): the pinned release's facts (`settings.py`; the typed settings join
them with the targets), the LLM profiles seeded into its agent server (`plan.py`, planned from the
same typed description as the app server's settings.json) and the script that seeds them where
the server runs (`seed.py`). No target deploys Canvas yet; `openhands-zai:distribution` still has
the app server as its only value.
"""
