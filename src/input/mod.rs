//! Reading user input, shared by the scenario and its `[capacity]` section:
//! units ([`units`]), distributions ([`dist`]), the TOML reader that walks a
//! scenario and collects every problem (`reader`), the problems
//! themselves ([`problems`]), the files a user names, opened only when
//! regular and read within limits ([`file`](mod@file)), and whether a clock
//! that re-arms itself moves time on ([`renewal`]). Nothing here knows what
//! a scenario holds.

pub mod dist;
pub mod file;
pub mod problems;
pub(crate) mod reader;
pub mod renewal;
pub mod units;
