//! Background work, run while the server runs: the worker (escalation of overdue
//! referrals, the e-mail queue) and the SMTP client it sends with.

pub mod mail;
pub mod worker;
