//! Views of devices from sysfs(5).

pub mod block;
