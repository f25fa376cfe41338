# -*- coding: utf-8 -*-
# Copyright: rootlift contributors
# MIT License (see the collection's LICENSE)
"""Sizes from `rootlift ext4 DEV --json`.

The report's top-level `min_blocks` is the floor computed from the
superblock and group descriptors as they are on the device. On a mounted
filesystem those lag behind the kernel by different amounts, so the report
also has `live` (null when not mounted): the floor from the kernel's own
free counts, the one a live job checks its SIZE against. The root is
always mounted, so the live floor is the one to report.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def fs_sizes(report):
    """Block size, block count, size and floor (blocks and bytes) of the
    filesystem a `rootlift ext4 --json` report describes; `floor_source`
    says which floor: `live` (mounted) or `on-disk`."""
    bs = report.get("block_size") or 0
    blocks = report.get("block_count") or 0
    live = report.get("live") or {}
    if live.get("min_blocks") is not None:
        floor, source = live["min_blocks"], "live"
    else:
        floor, source = report.get("min_blocks"), "on-disk"
    return dict(
        block_size=bs,
        block_count=blocks,
        fs_bytes=blocks * bs,
        floor_blocks=floor,
        floor_bytes=(floor or 0) * bs,
        floor_source=source,
    )
