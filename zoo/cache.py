"""Where downloads and derived data live: outside the repository, in one cache folder.

`$HARES_ZOO_CACHE` if set, else `$XDG_CACHE_HOME/hares-zoo`, else `~/.cache/hares-zoo`.
"""

import os


def cache_dir(*parts):
    """The cache folder (created), or a path inside it."""
    root = os.environ.get("HARES_ZOO_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "hares-zoo")
    os.makedirs(root, exist_ok=True)
    return os.path.join(root, *parts)
