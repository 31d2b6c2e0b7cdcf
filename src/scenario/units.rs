//! Units in scenario files: durations ("90s", "2h") and rates ("40/d").
