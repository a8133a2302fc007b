//! A wrapper for values that must never reach a log: passwords, tokens, personal fields.

use std::fmt;

#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(v: T) -> Self {
        Secret(v)
    }
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl<T> From<T> for Secret<T> {
    fn from(v: T) -> Self {
        Secret(v)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn debug_redacts() {
        let s = super::Secret::new("Siti Aminah 5301234567890001".to_string());
        assert_eq!(format!("{s:?}"), "[redacted]");
    }
}
