//! Background work, run while the server runs: the worker (escalation of overdue
//! referrals, the e-mail queue), the SMTP client it sends with, and the audit checkpoints.

pub mod checkpoint;
pub mod mail;
pub mod worker;
