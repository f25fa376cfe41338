# -*- coding: utf-8 -*-
# Copyright: rootlift contributors
# MIT License (see the collection's LICENSE)
"""Sizes and floors from `rootlift ext4 --json` reports."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.rootlift.live.plugins.module_utils.superblock import fs_sizes

# A mounted root as `rootlift ext4 --json` reports it (abridged): the
# on-disk floor lags behind the live one after fresh writes.
MOUNTED = {
    "block_size": 4096,
    "block_count": 16384,
    "min_blocks": 9672,
    "min_blocks_resize2fs": 9482,
    "live": {"mount_point": "/", "min_blocks": 10696, "min_blocks_resize2fs": 10506},
}


def test_a_mounted_filesystem_reports_the_live_floor():
    got = fs_sizes(MOUNTED)
    assert got["floor_blocks"] == 10696
    assert got["floor_bytes"] == 10696 * 4096
    assert got["floor_source"] == "live"
    assert got["fs_bytes"] == 16384 * 4096


def test_an_unmounted_filesystem_reports_the_on_disk_floor():
    report = dict(MOUNTED, live=None)
    got = fs_sizes(report)
    assert got["floor_blocks"] == 9672
    assert got["floor_bytes"] == 9672 * 4096
    assert got["floor_source"] == "on-disk"


def test_a_live_floor_that_could_not_be_read_falls_back_to_the_on_disk_one():
    report = dict(MOUNTED, live={"mount_point": "/", "min_blocks": None})
    assert fs_sizes(report)["floor_source"] == "on-disk"


def test_a_report_without_sizes_gives_zeros_not_an_error():
    got = fs_sizes({})
    assert got["fs_bytes"] == 0
    assert got["floor_bytes"] == 0
    assert got["floor_blocks"] is None
