//! Jobs (SPEC.md "Jobs"): shrink, fsck and run as one command each — the
//! plan shown first, then enter, a detached worker with a dead-man timer,
//! release, the offline steps, and always the way back.

pub mod control;
pub mod facts;
pub mod growpart;
pub mod live;
pub mod offline;
pub mod partition;
pub mod shutdown;
pub mod spec;
pub mod tools;
pub mod worker;
