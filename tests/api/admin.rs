//! The admin side (issue: editing agreements).
