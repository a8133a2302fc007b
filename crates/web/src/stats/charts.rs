//! Server-rendered SVG charts: readable without JavaScript (each bar has a `<title>`, the
//! page puts the same figures in a table beside it) and downloadable as they are.

use std::fmt::Write;

/// XML text and attribute escaping.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One bar pair: a label and the official and working values.
pub(crate) struct Pair<'a> {
    pub label: &'a str,
    pub official: i64,
    pub working: i64,
}

const W: i64 = 640;
const LABEL_W: i64 = 200;
const ROW_H: i64 = 26;

/// Horizontal bars, official (dark) over working (light), one row per value.
/// `names` = the words for the two series (legend and tooltips).
pub(crate) fn hbars(title: &str, rows: &[Pair<'_>], names: (&str, &str)) -> String {
    let max = rows
        .iter()
        .map(|r| r.working.max(r.official))
        .max()
        .unwrap_or(0)
        .max(1);
    let h = rows.len() as i64 * ROW_H + 34;
    let span = W - LABEL_W - 60;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" role="img" aria-label="{t}" viewBox="0 0 {W} {h}" width="{W}" height="{h}"><title>{t}</title>"#,
        t = esc(title)
    );
    legend(&mut s, names, 4);
    for (i, r) in rows.iter().enumerate() {
        let y = 30 + i as i64 * ROW_H;
        let ww = r.working * span / max;
        let wo = r.official * span / max;
        let label: String = r.label.chars().take(30).collect();
        let _ = write!(
            s,
            r#"<g><title>{l}: {on} {o}, {wn} {w}</title><text x="{lx}" y="{ty}" text-anchor="end" class="lbl">{sl}</text><rect class="s-working" x="{LABEL_W}" y="{y}" width="{ww}" height="11"/><rect class="s-official" x="{LABEL_W}" y="{y2}" width="{wo}" height="11"/><text x="{vx}" y="{ty}" class="val">{o} / {w}</text></g>"#,
            l = esc(r.label),
            on = esc(names.0),
            wn = esc(names.1),
            o = r.official,
            w = r.working,
            lx = LABEL_W - 6,
            ty = y + 15,
            sl = esc(&label),
            y2 = y + 11,
            vx = LABEL_W + ww.max(wo) + 4,
        );
    }
    s.push_str("</svg>");
    s
}

fn legend(s: &mut String, names: (&str, &str), y: i64) {
    let _ = write!(
        s,
        r#"<g class="legend"><rect class="s-official" x="{LABEL_W}" y="{y}" width="12" height="12"/><text x="{x1}" y="{ty}">{a}</text><rect class="s-working" x="{x2}" y="{y}" width="12" height="12"/><text x="{x3}" y="{ty}">{b}</text></g>"#,
        x1 = LABEL_W + 16,
        ty = y + 11,
        a = esc(names.0),
        x2 = LABEL_W + 150,
        x3 = LABEL_W + 166,
        b = esc(names.1),
    );
}

/// A trend as columns per period (official inside working), period labels below, every
/// `step`-th labelled so they never overlap.
pub(crate) fn columns(title: &str, rows: &[Pair<'_>], names: (&str, &str)) -> String {
    let n = rows.len().max(1) as i64;
    let max = rows
        .iter()
        .map(|r| r.working.max(r.official))
        .max()
        .unwrap_or(0)
        .max(1);
    let (top, plot_h, left) = (24, 180, 40);
    let h = top + plot_h + 40;
    let col_w = ((W - left - 10) / n).max(2);
    let step = (n * 60 / (W - left)).max(1) as usize + 1;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" role="img" aria-label="{t}" viewBox="0 0 {W} {h}" width="{W}" height="{h}"><title>{t}</title>"#,
        t = esc(title)
    );
    let _ = write!(
        s,
        r#"<g class="legend"><rect class="s-official" x="{left}" y="2" width="12" height="12"/><text x="{a}" y="13">{o}</text><rect class="s-working" x="{b}" y="2" width="12" height="12"/><text x="{c}" y="13">{w}</text></g>"#,
        a = left + 16,
        o = esc(names.0),
        b = left + 150,
        c = left + 166,
        w = esc(names.1)
    );
    let _ = write!(
        s,
        r#"<text x="{x}" y="{y}" text-anchor="end" class="val">{max}</text><line class="axis" x1="{left}" y1="{base}" x2="{W}" y2="{base}"/>"#,
        x = left - 4,
        y = top + 10,
        base = top + plot_h
    );
    for (i, r) in rows.iter().enumerate() {
        let x = left + i as i64 * col_w;
        let hw = r.working * plot_h / max;
        let ho = r.official * plot_h / max;
        let _ = write!(
            s,
            r#"<g><title>{l}: {on} {o}, {wn} {w}</title><rect class="s-working" x="{x}" y="{yw}" width="{cw}" height="{hw}"/><rect class="s-official" x="{x}" y="{yo}" width="{cw}" height="{ho}"/></g>"#,
            l = esc(r.label),
            on = esc(names.0),
            wn = esc(names.1),
            o = r.official,
            w = r.working,
            yw = top + plot_h - hw,
            yo = top + plot_h - ho,
            cw = (col_w - 1).max(1),
        );
        if i % step == 0 {
            let _ = write!(
                s,
                r#"<text x="{x}" y="{y}" class="lbl">{l}</text>"#,
                y = top + plot_h + 16,
                l = esc(r.label)
            );
        }
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_escaped_scaled_and_titled() {
        let rows = [
            Pair {
                label: "<b>",
                official: 2,
                working: 4,
            },
            Pair {
                label: "Kerja paksa",
                official: 1,
                working: 2,
            },
        ];
        let svg = hbars("Bentuk", &rows, ("Resmi", "Kerja"));
        assert!(svg.contains("&lt;b&gt;") && !svg.contains("<b>"));
        assert_eq!(svg.matches(r#"class="s-working" x="200""#).count(), 2);
        // The largest working value spans the whole plot (640 - 200 - 60 = 380).
        assert!(svg.contains(r#"width="380""#), "{svg}");
        assert!(svg.contains(r#"width="190""#), "{svg}");
        assert!(svg.contains("<title>Kerja paksa: Resmi 1, Kerja 2</title>"));
    }

    #[test]
    fn columns_label_without_overlap() {
        let rows: Vec<Pair> = (0..120)
            .map(|_| Pair {
                label: "2026-01",
                official: 1,
                working: 1,
            })
            .collect();
        let svg = columns("Tren", &rows, ("Resmi", "Kerja"));
        let labels = svg.matches(r#"class="lbl""#).count();
        assert!(labels > 1 && labels <= 10, "{labels}");
    }
}
