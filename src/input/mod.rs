//! Reading user input, shared by the scenario and its `[capacity]` section:
//! units ([`units`]), distributions ([`dist`]), the TOML reader that walks a
//! scenario and collects every problem (`reader`), and the problems
//! themselves ([`problems`]), and whether a clock that re-arms itself moves
//! time on ([`renewal`]). Nothing here knows what a scenario holds.

pub mod dist;
pub mod problems;
pub(crate) mod reader;
pub mod renewal;
pub mod units;
