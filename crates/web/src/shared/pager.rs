//! Page numbers for a list with a known total: « 1 … 4 5 [6] 7 8 … 20 », each a link to
//! the same list with another `page` (from 0), the current one marked.

/// One entry of the pager: a page (label, link, whether it is the one shown) or a gap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PageLink {
    Page {
        label: String,
        href: String,
        current: bool,
    },
    Gap,
}

/// The entries for `total` rows, `per_page` a page, page `page` shown; `href(n)` links
/// page `n`. Empty when everything fits on one page.
pub(crate) fn links(
    page: i64,
    per_page: i64,
    total: i64,
    href: impl Fn(i64) -> String,
) -> Vec<PageLink> {
    let pages = (total + per_page - 1) / per_page.max(1);
    if pages <= 1 {
        return Vec::new();
    }
    let page = page.clamp(0, pages - 1);
    let mut out = Vec::new();
    let mut last_shown = -1;
    for n in 0..pages {
        let near = (n - page).abs() <= 2;
        if n == 0 || n == pages - 1 || near {
            if last_shown >= 0 && n - last_shown > 1 {
                out.push(PageLink::Gap);
            }
            out.push(PageLink::Page {
                label: (n + 1).to_string(),
                href: href(n),
                current: n == page,
            });
            last_shown = n;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(v: &[PageLink]) -> String {
        v.iter()
            .map(|l| match l {
                PageLink::Page { label, current, .. } if *current => format!("[{label}]"),
                PageLink::Page { label, .. } => label.clone(),
                PageLink::Gap => "…".into(),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn first_last_and_neighbours_with_gaps() {
        let h = |n: i64| format!("?page={n}");
        assert!(links(0, 50, 50, h).is_empty());
        assert_eq!(shown(&links(0, 50, 51, h)), "[1] 2");
        assert_eq!(shown(&links(5, 10, 200, h)), "1 … 4 5 [6] 7 8 … 20");
        assert_eq!(shown(&links(0, 10, 200, h)), "[1] 2 3 … 20");
        assert_eq!(shown(&links(19, 10, 200, h)), "1 … 18 19 [20]");
        // A page past the end shows the last.
        assert_eq!(shown(&links(99, 10, 30, h)), "1 2 [3]");
        match &links(1, 10, 30, h)[0] {
            PageLink::Page { href, .. } => assert_eq!(href, "?page=0"),
            PageLink::Gap => panic!(),
        }
    }
}
