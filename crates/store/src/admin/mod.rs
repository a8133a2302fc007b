//! Instance administration: settings and key rotation.

pub(crate) mod rotate;
pub(crate) mod settings;
