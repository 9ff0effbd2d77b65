"""boto3 sessions that share one botocore data loader.

Each `boto3.Session` reads botocore's service models from JSON again (EC2's is several MB: about
0.3 s), and a session is needed per identity — a profile, each assumed role, the peer account.
The route-table takeover makes one per create, read, update and delete under `pulumi up`; the
operator commands one per identity. The models are the same for all of them, so one loader per
process serves every session; credentials, region and endpoints stay each session's own.
"""

from __future__ import annotations

import functools
from typing import Any


@functools.cache
def _loader() -> Any:
    import botocore.loaders

    return botocore.loaders.create_loader()


def session(**kwargs: Any) -> Any:
    """`boto3.Session(**kwargs)` whose service models come from the process's one loader."""
    import boto3
    import botocore.session

    loader = _loader()
    core = botocore.session.Session(profile=kwargs.pop("profile_name", None))
    core.register_component("data_loader", loader)
    made = boto3.Session(botocore_session=core, **kwargs)
    # boto3 appends its own data folder to the loader of every session it makes: keep it once.
    loader.search_paths[:] = list(dict.fromkeys(loader.search_paths))
    return made
