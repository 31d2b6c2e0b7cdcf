//! Reading user input, shared by the scenario and its `[capacity]` section:
//! units ([`units`]), distributions ([`dist`]), the TOML reader that walks a
//! scenario and collects every problem (`reader`), the problems
//! themselves ([`problems`]), and the files a user names, opened only when
//! regular and read within limits ([`file`](mod@file)). Nothing here knows what a
//! scenario holds.

pub mod dist;
pub mod file;
pub mod problems;
pub(crate) mod reader;
pub mod units;
