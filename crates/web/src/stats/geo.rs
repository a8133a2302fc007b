//! Offline maps drawn on the server as inline SVG: choropleths, flow maps and their legends.
//!
//! The geometry comes from `crates/web/assets/geo/{provinces,regencies}.json`, made by
//! `tools/geo/simplify.py` from the cahyadsn/wilayah_boundaries polygons (MIT; attribute as
//! "Batas wilayah: cahyadsn/wilayah_boundaries (MIT)"). Both files share one projected frame
//! (equirectangular, 1000 units wide, north up), so shapes of either file and the schematic
//! `abroad` anchors can be drawn together. Shapes are keyed by Kemendagri code ("62", "62.71").
//!
//! The output carries no inline styles (the CSP forbids them): colours come from the classes
//! `c0`..`c4`, `nodata`, `base`, `arc`, `arrowhead`, `anchor` and `anchor-label` in the app
//! stylesheet (proposed rules: `assets/geo/map.css`). Only structural presentation attributes
//! (`fill="none"` on arcs, `fill-rule`, arc `stroke-width`, label font size) are written.
//! Depends on `std`, `serde` and `serde_json` only.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::OnceLock;

/// The 38 provinces, as generated into the repository.
pub const PROVINCES_JSON: &str = include_str!("../../assets/geo/provinces.json");
/// The 514 regencies (kabupaten/kota), as generated into the repository.
pub const REGENCIES_JSON: &str = include_str!("../../assets/geo/regencies.json");

/// Most classes a choropleth has (`c0`..`c4`); a larger class index is drawn as the last class.
pub const MAX_CLASSES: usize = 5;
/// Widest arc of a flow map, in map units (the frame is 1000 units wide).
pub const MAX_ARC_WIDTH: f64 = 8.0;

/// Loaded map geometry: one set of shapes (provinces or regencies).
#[derive(Debug, serde::Deserialize)]
pub struct Shapes {
    /// Frame width in map units.
    pub width: f64,
    /// Frame height in map units.
    pub height: f64,
    /// Source and attribution text.
    pub source: String,
    /// Shapes sorted by code.
    pub features: Vec<Shape>,
    /// Schematic anchors for flows abroad, by ISO 3166 alpha-3 code (and `OTHER`).
    #[serde(default)]
    pub abroad: BTreeMap<String, [f64; 2]>,
}

/// One region.
#[derive(Debug, serde::Deserialize)]
pub struct Shape {
    /// Kemendagri code, e.g. "62" or "62.71".
    pub code: String,
    /// Official name, e.g. "Kota Palangkaraya".
    pub name: String,
    /// Province code of a regency; `None` for a province.
    pub parent: Option<String>,
    /// SVG path data.
    pub d: String,
    /// Anchor point inside the shape's largest part (labels, arc ends).
    pub cx: f64,
    /// See `cx`.
    pub cy: f64,
    /// `[x0, y0, x1, y1]` of all drawn parts.
    pub bbox: [f64; 4],
}

impl Shapes {
    /// Parses a generated geometry file. Features are sorted by code if they are not already;
    /// duplicate codes, empty paths and a non-positive frame are errors.
    pub fn parse(json: &str) -> Result<Shapes, String> {
        let mut shapes: Shapes =
            serde_json::from_str(json).map_err(|e| format!("map geometry: {e}"))?;
        if !(shapes.width.is_finite() && shapes.height.is_finite())
            || shapes.width <= 0.0
            || shapes.height <= 0.0
        {
            return Err("map geometry: the frame must have a positive size".to_owned());
        }
        shapes.features.sort_by(|a, b| a.code.cmp(&b.code));
        if let Some(w) = shapes.features.windows(2).find(|w| w[0].code == w[1].code) {
            return Err(format!("map geometry: duplicate code {}", w[0].code));
        }
        if let Some(s) = shapes.features.iter().find(|s| s.d.trim().is_empty()) {
            return Err(format!("map geometry: empty path for {}", s.code));
        }
        Ok(shapes)
    }

    /// The shape with this code.
    pub fn get(&self, code: &str) -> Option<&Shape> {
        self.features
            .binary_search_by(|s| s.code.as_str().cmp(code))
            .ok()
            .and_then(|i| self.features.get(i))
    }

    /// Where an arc starts or ends: a shape's anchor, else an `abroad` anchor.
    fn anchor(&self, code: &str) -> Option<Point> {
        match self.get(code) {
            Some(s) => Some((s.cx, s.cy)),
            None => self.abroad.get(code).map(|p| (p[0], p[1])),
        }
    }
}

/// The provinces embedded in the binary, parsed once.
pub fn provinces() -> Result<&'static Shapes, &'static str> {
    static CELL: OnceLock<Result<Shapes, String>> = OnceLock::new();
    CELL.get_or_init(|| Shapes::parse(PROVINCES_JSON))
        .as_ref()
        .map_err(String::as_str)
}

/// The regencies embedded in the binary, parsed once.
pub fn regencies() -> Result<&'static Shapes, &'static str> {
    static CELL: OnceLock<Result<Shapes, String>> = OnceLock::new();
    CELL.get_or_init(|| Shapes::parse(REGENCIES_JSON))
        .as_ref()
        .map_err(String::as_str)
}

/// One region's fill on a choropleth.
pub struct Fill<'a> {
    /// Shape code.
    pub code: &'a str,
    /// Class index (`c0`..`c4`); `None` = no data.
    pub class: Option<usize>,
    /// Tooltip text, already human-readable.
    pub title: String,
    /// Link target, e.g. the region's statistics page.
    pub href: Option<String>,
}

/// Renders an `<svg>` choropleth: one `<path>` per shape whose code is in `only` (None = all),
/// each with `class="c{n}"` (or `class="nodata"`), `data-code`, a `<title>` child with the fill's
/// title (the shape's name when it has no fill), wrapped in `<a href>` when href is Some.
/// The viewBox fits the drawn shapes' bbox (so a province's regencies fill the frame) with a
/// small margin. `label` is the accessible name (`aria-labelledby` on the svg's `<title>`). The
/// svg has `role="img"`, or `role="group"` when it holds links (children of an image are hidden
/// from assistive technology, the links must stay reachable). All text is XML-escaped.
pub fn choropleth(
    shapes: &Shapes,
    fills: &[Fill<'_>],
    only: Option<&dyn Fn(&Shape) -> bool>,
    label: &str,
) -> String {
    let by_code: BTreeMap<&str, &Fill<'_>> = fills.iter().map(|f| (f.code, f)).collect();
    let drawn: Vec<&Shape> = shapes
        .features
        .iter()
        .filter(|s| only.is_none_or(|keep| keep(s)))
        .collect();
    let mut bounds = Bounds::default();
    for s in &drawn {
        bounds.add(s.bbox[0], s.bbox[1]);
        bounds.add(s.bbox[2], s.bbox[3]);
    }
    let view = bounds.view_box(shapes, 0.02);
    let linked = drawn.iter().any(|s| {
        by_code
            .get(s.code.as_str())
            .is_some_and(|f| f.href.is_some())
    });
    let id = id_prefix("choropleth", label, drawn.len());

    let mut out = String::with_capacity(drawn.iter().map(|s| s.d.len() + 96).sum::<usize>() + 512);
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="map choropleth" viewBox="{view}" role="{role}" aria-labelledby="{id}-t" fill-rule="evenodd" stroke-linejoin="round"><title id="{id}-t">{label}</title>"#,
        role = if linked { "group" } else { "img" },
        label = esc(label),
    );
    for s in drawn {
        let fill = by_code.get(s.code.as_str());
        let class = match fill.and_then(|f| f.class) {
            Some(n) => format!("c{}", n.min(MAX_CLASSES - 1)),
            None => "nodata".to_owned(),
        };
        let title = esc(fill.map_or(s.name.as_str(), |f| f.title.as_str()));
        let href = fill.and_then(|f| f.href.as_deref());
        if let Some(href) = href {
            let _ = write!(out, r#"<a href="{}" aria-label="{title}">"#, esc(href));
        }
        let _ = write!(
            out,
            r#"<path class="{class}" data-code="{}" d="{}"><title>{title}</title></path>"#,
            esc(&s.code),
            esc(&s.d),
        );
        if href.is_some() {
            out.push_str("</a>");
        }
    }
    out.push_str("</svg>");
    out
}

/// One arc of a flow map: from a shape's anchor (or an `abroad` key) to another, width by count.
pub struct Arc<'a> {
    /// Origin: a shape code or an `abroad` key.
    pub from: &'a str,
    /// Destination: a shape code or an `abroad` key.
    pub to: &'a str,
    /// Number of cases, persons, ...; arcs with 0 are not drawn.
    pub count: u64,
    /// Tooltip text, already human-readable.
    pub title: String,
}

/// Renders the base map (all shapes of `base`, neutral fill, class "base", each with its name
/// as `<title>`) with quadratic-Bézier arcs (class "arc", stroke-width
/// `max(1, sqrt(count/max)·MAX_ARC_WIDTH)`) from anchor to anchor, an arrowhead marker (class
/// "arrowhead") at the destination and a `<title>` per arc. Arcs bend to the right of their
/// direction, so A→B and B→A do not overlap; thick arcs are drawn first so thin ones stay
/// visible. The `abroad` anchors that are used get a dot (class "anchor") and their key as a
/// label (class "anchor-label"). Arcs whose `from` or `to` is neither a shape nor an `abroad`
/// key are skipped and counted in the second value; arcs with a count of 0 or with
/// `from == to` are not drawn and not counted (show those numbers elsewhere).
pub fn flow_map(base: &Shapes, arcs: &[Arc<'_>], label: &str) -> (String, usize) {
    let mut unknown = 0;
    let mut drawn: Vec<(&Arc<'_>, Point, Point)> = Vec::new();
    for arc in arcs {
        match (base.anchor(arc.from), base.anchor(arc.to)) {
            (Some(a), Some(b)) => {
                if arc.count > 0 && arc.from != arc.to {
                    drawn.push((arc, a, b));
                }
            }
            _ => unknown += 1,
        }
    }
    drawn.sort_by_key(|d| std::cmp::Reverse(d.0.count));
    let max = drawn.iter().map(|d| d.0.count).max().unwrap_or(1).max(1) as f64;
    let geometry: Vec<ArcGeometry> = drawn
        .iter()
        .map(|(arc, a, b)| ArcGeometry::new(*a, *b, arc_width(arc.count, max)))
        .collect();

    // The abroad anchors in use, and which way their arcs leave them (labels go the other way).
    let mut used: BTreeMap<&str, (Point, Point)> = BTreeMap::new();
    for ((arc, a, b), g) in drawn.iter().zip(&geometry) {
        for (code, p) in [(arc.from, a), (arc.to, b)] {
            if base.get(code).is_none() {
                let entry = used.entry(code).or_insert((*p, (0.0, 0.0)));
                let (dx, dy) = (g.c.0 - p.0, g.c.1 - p.1);
                let len = (dx * dx + dy * dy).sqrt().max(1e-9);
                entry.1 = (entry.1.0 + dx / len, entry.1.1 + dy / len);
            }
        }
    }
    let mut bounds = Bounds::default();
    for s in &base.features {
        bounds.add(s.bbox[0], s.bbox[1]);
        bounds.add(s.bbox[2], s.bbox[3]);
    }
    let labels: Vec<(&str, Point, AnchorLabel)> = used
        .iter()
        .map(|(code, (p, away))| (*code, *p, AnchorLabel::place(base, *p, *away, code)))
        .collect();
    for (_, p, l) in &labels {
        bounds.add(p.0 - 4.0, p.1 - 4.0);
        bounds.add(p.0 + 4.0, p.1 + 4.0);
        bounds.add(l.box_[0], l.box_[1]);
        bounds.add(l.box_[2], l.box_[3]);
    }
    let view = bounds.view_box(base, 0.01);
    let id = id_prefix("flow", label, drawn.len());

    let mut out = String::with_capacity(
        base.features
            .iter()
            .map(|s| s.d.len() + s.name.len() + 48)
            .sum::<usize>()
            + 512 * (drawn.len() + 1),
    );
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="map flow" viewBox="{view}" role="img" aria-labelledby="{id}-t" fill-rule="evenodd" stroke-linejoin="round"><title id="{id}-t">{}</title>"#,
        esc(label),
    );

    // One marker per distinct arrow size.
    let mut markers: BTreeMap<String, usize> = BTreeMap::new();
    for g in &geometry {
        let n = markers.len();
        markers.entry(num(g.arrow)).or_insert(n);
    }
    if !markers.is_empty() {
        out.push_str("<defs>");
        for (size, n) in &markers {
            let _ = write!(
                out,
                r#"<marker id="{id}-m{n}" viewBox="0 0 10 10" refX="1" refY="5" markerUnits="userSpaceOnUse" markerWidth="{size}" markerHeight="{size}" orient="auto"><path class="arrowhead" d="M0 0L10 5L0 10z"/></marker>"#,
            );
        }
        out.push_str("</defs>");
    }

    out.push_str(r#"<g class="base-map">"#);
    for s in &base.features {
        let _ = write!(
            out,
            r#"<path class="base" data-code="{}" d="{}"><title>{}</title></path>"#,
            esc(&s.code),
            esc(&s.d),
            esc(&s.name),
        );
    }
    out.push_str("</g><g class=\"arcs\">");
    for ((arc, a, _), g) in drawn.iter().zip(&geometry) {
        let marker = markers.get(&num(g.arrow)).copied().unwrap_or(0);
        let _ = write!(
            out,
            r#"<path class="arc" fill="none" stroke-width="{}" marker-end="url(#{id}-m{marker})" d="M{} {}Q{} {} {} {}"><title>{}</title></path>"#,
            num(g.width),
            num(a.0),
            num(a.1),
            num(g.c.0),
            num(g.c.1),
            num(g.end.0),
            num(g.end.1),
            esc(&arc.title),
        );
    }
    out.push_str("</g>");
    if !labels.is_empty() {
        out.push_str(r#"<g class="anchors">"#);
        for (code, p, l) in &labels {
            let _ = write!(
                out,
                r#"<circle class="anchor" cx="{}" cy="{}" r="3"><title>{code}</title></circle><text class="anchor-label" x="{}" y="{}" text-anchor="{}" font-size="{}">{code}</text>"#,
                num(p.0),
                num(p.1),
                num(l.x),
                num(l.y),
                l.anchor,
                num(LABEL_SIZE),
                code = esc(code),
            );
        }
        out.push_str("</g>");
    }
    out.push_str("</svg>");
    (out, unknown)
}

/// A legend as SVG: one swatch per class with its range text ("0–3", "4–10") and class count,
/// plus "no data" (English; see [`legend_with`] for another language).
///
/// `breaks` has one more entry than there are classes: `breaks[0]` is the lowest value and
/// `breaks[i + 1]` the inclusive upper bound of class `i`, i.e. class `i > 0` holds values in
/// `(breaks[i], breaks[i + 1]]` (see [`class_of`]). When every break is a whole number the values
/// are taken as counts and class `i > 0` is written from `breaks[i] + 1` ("0–3", "4–10");
/// otherwise the shared bound is written on both sides ("0.5–1.2", "1.2–3"). `counts[i]` is the
/// number of regions in class `i`, `nodata` the number without data. At most
/// [`MAX_CLASSES`] classes are shown, and no more than `breaks` and `counts` both describe.
#[cfg(test)]
fn legend(
    breaks: &[f64],
    counts: &[usize],
    nodata: usize,
    label: &str,
    fmt: &dyn Fn(f64) -> String,
) -> String {
    legend_with(breaks, counts, nodata, label, "no data", fmt)
}

/// [`legend`] with the text of the "no data" swatch given (e.g. "tidak ada data").
pub fn legend_with(
    breaks: &[f64],
    counts: &[usize],
    nodata: usize,
    label: &str,
    nodata_text: &str,
    fmt: &dyn Fn(f64) -> String,
) -> String {
    let n = counts
        .len()
        .min(breaks.len().saturating_sub(1))
        .min(MAX_CLASSES);
    let whole = breaks.iter().all(|b| b.fract() == 0.0);
    let mut rows: Vec<(String, String, usize)> = Vec::with_capacity(n + 1);
    for i in 0..n {
        let (lo, hi) = (breaks[i], breaks[i + 1]);
        let lo = if i > 0 && whole { lo + 1.0 } else { lo };
        let text = if lo >= hi {
            fmt(hi)
        } else {
            format!("{}–{}", fmt(lo), fmt(hi))
        };
        rows.push((format!("c{i}"), text, counts[i]));
    }
    rows.push(("nodata".to_owned(), nodata_text.to_owned(), nodata));

    // Layout in px: a caption line, then rows of swatch, range text and right-aligned count.
    let row_h = 20.0;
    let text_w = rows
        .iter()
        .map(|r| text_width(&r.1))
        .fold(0.0_f64, f64::max);
    let count_w = rows
        .iter()
        .map(|r| text_width(&r.2.to_string()))
        .fold(0.0_f64, f64::max);
    let count_x = 24.0 + text_w + 12.0 + count_w;
    let width = count_x.max(text_width(label)).ceil() + 2.0;
    let height = row_h * (rows.len() as f64 + 1.0) + 4.0;
    let id = id_prefix("legend", label, rows.len());

    let mut out = String::with_capacity(256 + 160 * rows.len());
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="map-legend" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-labelledby="{id}-t" font-size="12"><title id="{id}-t">{label}</title><text class="legend-title" x="0" y="14" font-weight="bold">{label}</text>"#,
        w = num(width),
        h = num(height),
        label = esc(label),
    );
    for (i, (class, text, count)) in rows.iter().enumerate() {
        let y = row_h * (i as f64 + 1.0) + 4.0;
        let _ = write!(
            out,
            r#"<g class="legend-row"><rect class="{class}" x="1" y="{}" width="16" height="14"/><text x="24" y="{}">{}</text><text class="legend-count" x="{}" y="{}" text-anchor="end">{count}</text></g>"#,
            num(y),
            num(y + 12.0),
            esc(text),
            num(count_x),
            num(y + 12.0),
        );
    }
    out.push_str("</svg>");
    out
}

/// The legend's breaks for `values`: the lower end (the smallest value, or 0 when none is
/// below it), then each class's upper bound under `classing`.
pub fn legend_breaks(values: &[f64], classing: domain::classify::Classing) -> Vec<f64> {
    let upper = domain::classify::breaks(values, MAX_CLASSES, classing);
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let mut out = vec![if min.is_finite() { min.min(0.0) } else { 0.0 }];
    out.extend(upper.iter().copied());
    out
}

/// A choropleth as a file of its own (a download, an `<img>`): its classes' colours inside.
pub fn standalone(svg: String) -> String {
    const STYLE: &str = "<style>path{stroke:#fff;stroke-width:.5}.c0{fill:#ffffb2}.c1{fill:#fecc5c}.c2{fill:#fd8d3c}.c3{fill:#f03b20}.c4{fill:#bd0026}.nodata{fill:#d9d9d9}</style>";
    match svg.find('>') {
        Some(i) => format!("{}{STYLE}{}", &svg[..=i], &svg[i + 1..]),
        None => svg,
    }
}

/// The class of `value` under the [`legend`] rule: the first `i` with
/// `value <= breaks[i + 1]`; values below `breaks[0]` are class 0, values above the last break
/// the last class. `None` for NaN or fewer than two breaks.
pub fn class_of(breaks: &[f64], value: f64) -> Option<usize> {
    if value.is_nan() || breaks.len() < 2 {
        return None;
    }
    let last = breaks.len() - 2;
    Some(
        breaks
            .iter()
            .skip(1)
            .position(|b| value <= *b)
            .unwrap_or(last),
    )
}

// ---------------------------------------------------------------------------------------------
// helpers

const LABEL_SIZE: f64 = 12.0;

/// A point in map units.
type Point = (f64, f64);

/// Bounding box accumulator.
#[derive(Default)]
struct Bounds(Option<[f64; 4]>);

impl Bounds {
    fn add(&mut self, x: f64, y: f64) {
        if !(x.is_finite() && y.is_finite()) {
            return;
        }
        self.0 = Some(match self.0 {
            None => [x, y, x, y],
            Some(b) => [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)],
        });
    }

    /// `x y w h` with a margin of `margin` × the larger side (the whole frame when empty).
    fn view_box(&self, shapes: &Shapes, margin: f64) -> String {
        let [x0, y0, x1, y1] = self.0.unwrap_or([0.0, 0.0, shapes.width, shapes.height]);
        let m = ((x1 - x0).max(y1 - y0) * margin).max(0.5);
        format!(
            "{} {} {} {}",
            num(x0 - m),
            num(y0 - m),
            num(x1 - x0 + 2.0 * m),
            num(y1 - y0 + 2.0 * m)
        )
    }
}

/// Where an abroad anchor's label goes: outwards of the frame edge it sits on, else to the right.
struct AnchorLabel {
    x: f64,
    y: f64,
    anchor: &'static str,
    box_: [f64; 4],
}

impl AnchorLabel {
    /// `away` is the summed direction in which the anchor's arcs leave it.
    fn place(base: &Shapes, p: Point, away: Point, text: &str) -> AnchorLabel {
        let w = text_width(text) * LABEL_SIZE / 12.0;
        let h = LABEL_SIZE;
        let gap = 6.0;
        let above = |p: Point| {
            let y = p.1 - gap;
            (
                p.0,
                y,
                "middle",
                [p.0 - w / 2.0, y - h, p.0 + w / 2.0, y + 2.0],
            )
        };
        let below = |p: Point| {
            let y = p.1 + gap + h * 0.8;
            (
                p.0,
                y,
                "middle",
                [p.0 - w / 2.0, y - h, p.0 + w / 2.0, y + 2.0],
            )
        };
        let left = |p: Point| {
            let (x, y) = (p.0 - gap, p.1 + h * 0.35);
            (x, y, "end", [x - w, y - h, x, y + 2.0])
        };
        let right = |p: Point| {
            let (x, y) = (p.0 + gap, p.1 + h * 0.35);
            (x, y, "start", [x, y - h, x + w, y + 2.0])
        };
        // On the frame's edge: outwards. Inside the frame: opposite to where the arcs go.
        let (x, y, anchor, box_) = if p.1 <= 0.0 {
            above(p)
        } else if p.1 >= base.height {
            below(p)
        } else if p.0 <= 0.0 {
            left(p)
        } else if p.0 >= base.width {
            right(p)
        } else if away.0.abs() >= away.1.abs() {
            if away.0 > 0.0 { left(p) } else { right(p) }
        } else if away.1 > 0.0 {
            above(p)
        } else {
            below(p)
        };
        AnchorLabel { x, y, anchor, box_ }
    }
}

/// Where an arc is drawn.
struct ArcGeometry {
    width: f64,
    arrow: f64,
    /// Control point.
    c: Point,
    /// End of the stroke, where the arrowhead marker starts.
    end: Point,
}

impl ArcGeometry {
    fn new(a: Point, b: Point, width: f64) -> ArcGeometry {
        let arrow = arrow_size(width);
        let (c, end) = bend(a, b, arrow);
        ArcGeometry {
            width,
            arrow,
            c,
            end,
        }
    }
}

/// Arc stroke width: `sqrt(count/max)·MAX_ARC_WIDTH`, at least 1.
fn arc_width(count: u64, max: f64) -> f64 {
    ((count as f64 / max).sqrt() * MAX_ARC_WIDTH).max(1.0)
}

/// Arrowhead length and width for an arc of width `w`.
fn arrow_size(w: f64) -> f64 {
    (5.0 + 1.8 * w).round()
}

/// Control point of the arc from `a` to `b` (bent to the right of the direction of travel by a
/// fifth of the distance) and the end point pulled back by the arrowhead length, so the tip of
/// the arrowhead marker, not the stroke, touches `b`.
fn bend(a: Point, b: Point, arrow: f64) -> (Point, Point) {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len = (dx * dx + dy * dy).sqrt();
    if len == 0.0 {
        return (a, b);
    }
    // y grows downwards, so (-dy, dx) points to the right of travel on screen.
    let k = 0.2;
    let c = ((a.0 + b.0) / 2.0 - dy * k, (a.1 + b.1) / 2.0 + dx * k);
    let (ex, ey) = (b.0 - c.0, b.1 - c.1);
    let el = (ex * ex + ey * ey).sqrt();
    let back = (arrow * 0.9).min(el * 0.5);
    let end = if el > 0.0 {
        (b.0 - ex / el * back, b.1 - ey / el * back)
    } else {
        b
    };
    (c, end)
}

/// Rough width in px of `s` at 12px in a sans-serif font.
fn text_width(s: &str) -> f64 {
    s.chars().count() as f64 * 7.0
}

/// A number for SVG: at most two decimals, no trailing zeros, no "-0".
fn num(v: f64) -> String {
    if !v.is_finite() {
        return "0".to_owned();
    }
    let r = (v * 100.0).round() / 100.0;
    if r == 0.0 {
        "0".to_owned()
    } else {
        format!("{r}")
    }
}

/// XML-escapes text and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// An id prefix for the svg's `<title>` and markers, stable for the same map and distinct for
/// different maps on one page (FNV-1a of the kind, label and number of elements).
fn id_prefix(kind: &str, label: &str, n: usize) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in kind
        .bytes()
        .chain([0])
        .chain(label.bytes())
        .chain(n.to_le_bytes())
    {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("map{:08x}", h >> 32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provs() -> Result<Shapes, String> {
        Shapes::parse(include_str!("../../assets/geo/provinces.json"))
    }

    fn regs() -> Result<Shapes, String> {
        Shapes::parse(include_str!("../../assets/geo/regencies.json"))
    }

    fn fill(code: &str, class: Option<usize>) -> Fill<'_> {
        Fill {
            code,
            class,
            title: format!("{code}: title"),
            href: None,
        }
    }

    /// The `stroke-width` of every arc, in drawing order, with its title.
    fn arc_widths(svg: &str) -> Vec<(f64, String)> {
        svg.split(r#"<path class="arc""#)
            .skip(1)
            .filter_map(|chunk| {
                let w = chunk.split(r#"stroke-width=""#).nth(1)?.split('"').next()?;
                let t = chunk.split("<title>").nth(1)?.split("</title>").next()?;
                Some((w.parse().ok()?, t.to_owned()))
            })
            .collect()
    }

    #[test]
    fn loads_all_38_provinces_and_514_regencies() -> Result<(), String> {
        let (p, r) = (provs()?, regs()?);
        assert_eq!(p.features.len(), 38);
        assert_eq!(r.features.len(), 514);
        assert!(p.source.contains("cahyadsn/wilayah_boundaries"));
        for shapes in [&p, &r] {
            assert!(shapes.width > 0.0 && shapes.height > 0.0);
            assert!(shapes.features.windows(2).all(|w| w[0].code < w[1].code));
            for s in &shapes.features {
                assert!(!s.d.is_empty(), "{}", s.code);
                let [x0, y0, x1, y1] = s.bbox;
                assert!(
                    x0 <= s.cx && s.cx <= x1 && y0 <= s.cy && s.cy <= y1,
                    "{}",
                    s.code
                );
                assert!(x0 >= 0.0 && y0 >= 0.0 && x1 <= shapes.width && y1 <= shapes.height);
            }
        }
        assert!(p.features.iter().all(|s| s.parent.is_none()));
        assert!(r.features.iter().all(|s| {
            s.parent
                .as_deref()
                .is_some_and(|pc| p.get(pc).is_some() && s.code.starts_with(&format!("{pc}.")))
        }));
        let Some(kalteng) = p.get("62") else {
            return Err("62 missing".into());
        };
        assert_eq!(kalteng.name, "Kalimantan Tengah");
        assert!(
            r.get("62.71")
                .is_some_and(|s| s.name == "Kota Palangkaraya")
        );
        assert!(p.get("99").is_none() && p.get("").is_none());
        for key in ["MYS", "SGP", "SAU", "HKG", "TWN", "AUS", "OTHER"] {
            assert!(p.abroad.contains_key(key), "{key}");
        }
        Ok(())
    }

    #[test]
    fn embedded_geometry_parses_once() {
        assert!(provinces().is_ok_and(|p| p.features.len() == 38));
        assert!(regencies().is_ok_and(|r| r.features.len() == 514));
    }

    #[test]
    fn parse_rejects_broken_geometry() {
        let shape = |code: &str, d: &str| {
            format!(
                r#"{{"code":"{code}","name":"n","parent":null,"d":"{d}","cx":1,"cy":1,"bbox":[0,0,2,2]}}"#
            )
        };
        let doc = |features: &[String], w: f64| {
            format!(
                r#"{{"source":"s","width":{w},"height":5,"features":[{}]}}"#,
                features.join(",")
            )
        };
        assert!(Shapes::parse("{").is_err());
        assert!(
            Shapes::parse(&doc(
                &[shape("1", "m0 0 1 1z"), shape("1", "m0 0 1 1z")],
                10.0
            ))
            .is_err()
        );
        assert!(Shapes::parse(&doc(&[shape("1", " ")], 10.0)).is_err());
        assert!(Shapes::parse(&doc(&[shape("1", "m0 0 1 1z")], 0.0)).is_err());
        // unsorted input is sorted, so `get` still works
        let unsorted = Shapes::parse(&doc(
            &[shape("2", "m0 0 1 1z"), shape("1", "m0 0 1 1z")],
            10.0,
        ));
        assert!(
            unsorted
                .is_ok_and(|s| s.get("1").is_some() && s.get("2").is_some() && s.abroad.is_empty())
        );
    }

    #[test]
    fn choropleth_draws_one_path_per_shape_with_its_class() -> Result<(), String> {
        let p = provs()?;
        let fills: Vec<Fill<'_>> = p
            .features
            .iter()
            .enumerate()
            .map(|(i, s)| fill(&s.code, if i % 7 == 6 { None } else { Some(i % 5) }))
            .collect();
        let svg = choropleth(&p, &fills, None, "Kasus per provinsi");
        assert!(svg.starts_with("<svg ") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches("<path").count(), 38);
        assert_eq!(svg.matches("<title>").count(), 38);
        assert!(svg.contains(r#"role="img""#) && !svg.contains("<a "));
        for (i, s) in p.features.iter().enumerate() {
            let class = if i % 7 == 6 {
                "nodata".to_owned()
            } else {
                format!("c{}", i % 5)
            };
            let needle = format!(r#"<path class="{class}" data-code="{}""#, s.code);
            assert_eq!(svg.matches(&needle).count(), 1, "{needle}");
        }
        for n in 0..5 {
            let expected = (0..38).filter(|i| i % 7 != 6 && i % 5 == n).count();
            assert_eq!(svg.matches(&format!(r#"class="c{n}""#)).count(), expected);
        }
        assert_eq!(svg.matches(r#"class="nodata""#).count(), 5);
        // the whole country: the view box is about the frame
        assert!(svg.contains(r#"viewBox="-"#));
        // a class beyond the palette is drawn as the last class; a shape without a fill is
        // "no data" with its name as the title
        let svg = choropleth(&p, &[fill("11", Some(9))], None, "x");
        assert!(svg.contains(r#"<path class="c4" data-code="11""#));
        assert!(svg.contains(r#"<path class="nodata" data-code="62""#));
        assert!(svg.contains("<title>Kalimantan Tengah</title>"));
        Ok(())
    }

    #[test]
    fn choropleth_of_province_62_draws_only_its_14_regencies() -> Result<(), String> {
        let (p, r) = (provs()?, regs()?);
        let fills = vec![
            fill("62.71", Some(4)),
            fill("62.01", Some(0)),
            fill("11.01", Some(2)),
        ];
        let only = |s: &Shape| s.parent.as_deref() == Some("62");
        let svg = choropleth(&r, &fills, Some(&only), "Kalimantan Tengah");
        assert_eq!(svg.matches("<path").count(), 14);
        assert_eq!(svg.matches(r#"data-code="62."#).count(), 14);
        assert!(!svg.contains(r#"data-code="11.01""#));
        assert!(svg.contains(r#"<path class="c4" data-code="62.71""#));
        assert!(svg.contains(r#"<path class="c0" data-code="62.01""#));
        assert_eq!(svg.matches(r#"class="nodata""#).count(), 12);
        // the view box fits the province (with a margin), not the country
        let Some(kalteng) = p.get("62") else {
            return Err("62 missing".into());
        };
        let Some(vb) = svg
            .split(r#"viewBox=""#)
            .nth(1)
            .and_then(|s| s.split('"').next())
        else {
            return Err("no viewBox".into());
        };
        let v: Vec<f64> = vb.split(' ').filter_map(|n| n.parse().ok()).collect();
        let [x, y, w, h] = v[..] else {
            return Err(format!("bad viewBox {vb}"));
        };
        let [bx0, by0, bx1, by1] = kalteng.bbox;
        assert!(w < r.width / 4.0 && h < r.height / 2.0, "{vb}");
        assert!((x - bx0).abs() < 6.0 && (y - by0).abs() < 6.0, "{vb}");
        assert!(
            (x + w - bx1).abs() < 6.0 && (y + h - by1).abs() < 6.0,
            "{vb}"
        );
        Ok(())
    }

    #[test]
    fn choropleth_escapes_text_and_links() -> Result<(), String> {
        let p = provs()?;
        let fills = vec![Fill {
            code: "62",
            class: Some(1),
            title: "Kalimantan <Tengah> & \"co\": 5 'kasus'".to_owned(),
            href: Some("/stats?region=62&level=kab".to_owned()),
        }];
        let svg = choropleth(&p, &fills, None, "Kasus <2025> & 'lainnya'");
        assert!(svg.contains(
            "<title>Kalimantan &lt;Tengah&gt; &amp; &quot;co&quot;: 5 &#39;kasus&#39;</title>"
        ));
        assert!(svg.contains(">Kasus &lt;2025&gt; &amp; &#39;lainnya&#39;</title>"));
        assert!(!svg.contains("<Tengah>") && !svg.contains("<2025>"));
        assert!(svg.contains(r#"<a href="/stats?region=62&amp;level=kab""#));
        assert_eq!(svg.matches("<a ").count(), 1);
        assert_eq!(svg.matches("</a>").count(), 1);
        assert!(svg.contains(r#"role="group""#));
        assert_eq!(svg.matches("<path").count(), 38);
        Ok(())
    }

    #[test]
    fn flow_map_skips_and_counts_unknown_codes() -> Result<(), String> {
        let p = provs()?;
        let arc = |from, to, count| Arc {
            from,
            to,
            count,
            title: format!("{from} → {to}: {count}"),
        };
        let arcs = vec![
            arc("53", "MYS", 40),
            arc("32", "SAU", 25),
            arc("62", "33", 3),
            arc("99", "33", 7),
            arc("33", "XXX", 7),
            arc("53", "53", 9),
            arc("61", "BRN", 0),
        ];
        let (svg, skipped) = flow_map(&p, &arcs, "Arus <korban>");
        assert_eq!(skipped, 2);
        assert_eq!(svg.matches(r#"<path class="arc""#).count(), 3);
        assert_eq!(svg.matches(r#"<path class="base""#).count(), 38);
        assert!(svg.contains("<title>53 → MYS: 40</title>"));
        assert!(!svg.contains("99 →") && !svg.contains("XXX"));
        assert!(svg.contains(">Arus &lt;korban&gt;</title>"));
        assert!(svg.contains("marker-end=\"url(#") && svg.contains(r#"class="arrowhead""#));
        // abroad anchors in use are marked and labelled; others are not
        assert!(svg.contains(">MYS</text>") && svg.contains(">SAU</text>"));
        assert!(!svg.contains(">BRN</text>"));
        // no arcs at all: just the base map
        let (svg, skipped) = flow_map(&p, &[arc("00", "01", 1)], "kosong");
        assert_eq!(skipped, 1);
        assert!(!svg.contains("class=\"arc\"") && !svg.contains("<marker"));
        Ok(())
    }

    #[test]
    fn flow_map_arc_widths_grow_with_count() -> Result<(), String> {
        let p = provs()?;
        let counts = [1_u64, 4, 16, 100, 400];
        let arcs: Vec<Arc<'_>> = counts
            .iter()
            .zip(["11", "31", "52", "73", "94"])
            .map(|(n, from)| Arc {
                from,
                to: "SGP",
                count: *n,
                title: format!("n={n}"),
            })
            .collect();
        let (svg, skipped) = flow_map(&p, &arcs, "arus");
        assert_eq!(skipped, 0);
        let widths = arc_widths(&svg);
        assert_eq!(widths.len(), 5);
        // drawn thickest first
        let by_count: Vec<(f64, String)> = widths.into_iter().rev().collect();
        for pair in by_count.windows(2) {
            assert!(pair[0].0 <= pair[1].0, "{by_count:?}");
        }
        let (Some(first), Some(last)) = (by_count.first(), by_count.last()) else {
            return Err("no arcs".into());
        };
        assert_eq!(first.1, "n=1");
        assert!((first.0 - 1.0).abs() < 1e-9, "{first:?}");
        assert!((last.0 - MAX_ARC_WIDTH).abs() < 1e-9, "{last:?}");
        // sqrt scaling: 100 of 400 is half the widest
        assert!(
            (by_count[3].0 - MAX_ARC_WIDTH / 2.0).abs() < 0.011,
            "{by_count:?}"
        );
        assert!(by_count[1].0 < by_count[2].0 && by_count[2].0 < by_count[3].0);
        Ok(())
    }

    #[test]
    fn legend_has_a_swatch_per_class_and_no_data() {
        let svg = legend(
            &[0.0, 3.0, 10.0, 25.0],
            &[12, 7, 2],
            17,
            "Korban <per> provinsi",
            &|v| format!("{v}"),
        );
        assert!(
            svg.contains(">0–3</text>")
                && svg.contains(">4–10</text>")
                && svg.contains(">11–25</text>")
        );
        for class in ["c0", "c1", "c2", "nodata"] {
            assert_eq!(
                svg.matches(&format!(r#"<rect class="{class}""#)).count(),
                1,
                "{class}"
            );
        }
        assert!(!svg.contains(r#"class="c3""#));
        assert!(
            svg.contains(">no data</text>")
                && svg.contains(">17</text>")
                && svg.contains(">12</text>")
        );
        assert!(svg.contains(">Korban &lt;per&gt; provinsi</title>"));
        // fractional breaks share their bounds; one-value classes show one number
        let svg = legend_with(
            &[0.5, 1.25, 3.0],
            &[1, 2],
            0,
            "Rasio",
            "tidak ada data",
            &|v| format!("{v:.2}"),
        );
        assert!(svg.contains(">0.50–1.25</text>") && svg.contains(">1.25–3.00</text>"));
        assert!(svg.contains(">tidak ada data</text>"));
        let svg = legend(&[0.0, 0.0, 1.0], &[5, 1], 0, "x", &|v| format!("{v}"));
        assert!(svg.contains(">0</text>") && svg.contains(">1</text>"));
        // mismatched lengths draw only what both describe
        let svg = legend(&[0.0, 1.0], &[1, 2, 3], 0, "x", &|v| format!("{v}"));
        assert_eq!(svg.matches("<rect").count(), 2);
    }

    #[test]
    fn class_of_matches_the_legend() {
        let b = [0.0, 3.0, 10.0, 25.0];
        assert_eq!(class_of(&b, 0.0), Some(0));
        assert_eq!(class_of(&b, 3.0), Some(0));
        assert_eq!(class_of(&b, 4.0), Some(1));
        assert_eq!(class_of(&b, 10.0), Some(1));
        assert_eq!(class_of(&b, 25.0), Some(2));
        assert_eq!(class_of(&b, 99.0), Some(2));
        assert_eq!(class_of(&b, -1.0), Some(0));
        assert_eq!(class_of(&b, f64::NAN), None);
        assert_eq!(class_of(&[1.0], 1.0), None);
    }

    #[test]
    fn numbers_and_ids_are_compact_and_stable() {
        assert_eq!(num(12.0), "12");
        assert_eq!(num(-0.001), "0");
        assert_eq!(num(1.005_1), "1.01");
        assert_eq!(num(f64::NAN), "0");
        assert_eq!(id_prefix("a", "b", 1), id_prefix("a", "b", 1));
        assert_ne!(id_prefix("a", "b", 1), id_prefix("a", "b", 2));
    }
}
