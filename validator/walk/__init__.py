"""The walk: discover an OME-Zarr hierarchy from its metadata alone and check every node.

The Zarr format is detected once, at the root; every other document is read by the name its
format gives it, only where a parent's metadata names a child (plate → wells → fields →
arrays, image → arrays, labels group → label images, bioformats2raw → series). Directories are
never listed. Independent documents are fetched concurrently, bounded by a
:class:`~validator.limiter.Limiter` (the cap on requests in flight, adapting to the server
below it). When the root holds consolidated metadata the documents are taken from that copy
(:mod:`validator.consolidated`) instead of being fetched. Each node kind has its own visitor;
parents keep small summaries of their children, never documents.

The modules, along the seams of a run:

* :mod:`~validator.walk.reading`: fetching and parsing documents, budgets, consolidated
  metadata;
* :mod:`~validator.walk.layout`: the Zarr v2/v3 layout (document names, opening groups and
  arrays);
* :mod:`~validator.walk.findings`: turning rule violations and read problems into findings;
* :mod:`~validator.walk.memo`: the checks of identical documents, made once per walk;
* :mod:`~validator.walk.visitors`: one visitor per node kind, and the table dispatching them;
* :mod:`~validator.walk.core`: the run itself (root, version, document checks, report).
"""

from validator.walk.core import NodeCallback, Walk
from validator.walk.findings import FindingCallback, unsafe_path_reason
from validator.walk.layout import Group
from validator.walk.reading import Progress, ProgressCallback, gather_bounded
from validator.walk.visitors.images import declared_version_of

__all__ = [
    "FindingCallback",
    "Group",
    "NodeCallback",
    "Progress",
    "ProgressCallback",
    "Walk",
    "declared_version_of",
    "gather_bounded",
    "unsafe_path_reason",
]
