//! rootlift as a library: one module per kernel interface or on-disk format,
//! so the binary (`main.rs`) only dispatches and the tests reach every
//! parser directly.

pub mod bring;
pub mod cli;
pub mod cloudinit;
pub mod crc32;
pub mod crc32c;
pub mod dm;
pub mod elf;
pub mod error;
pub mod ext4;
pub mod grow;
pub mod job;
pub mod journal;
pub mod json;
pub mod lift;
pub mod loopdev;
pub mod mount;
pub mod output;
pub mod parts;
pub mod plan;
pub mod probe;
pub mod proc;
pub mod size;
pub mod spawn;
pub mod stub;
pub mod switch_root;
pub mod sys;
pub mod sys_process;
pub mod sysfs;
