//! Small-cell suppression for published statistics tables: primary suppression of small
//! counts, complementary suppression so the hidden cells cannot be recomputed from the
//! margins, and an exact audit ([`exposed`]) of what the published cells still reveal.
//!
//! # Model
//!
//! A snapshot of public tables is one vector of non-negative integer cells tied together by
//! additive [`Constraint`]s ("this cell is the sum of those cells"): row totals, column
//! totals, grand totals and hierarchy constraints (a province's cell is the sum of its
//! regencies' cells for the same category). A cell that appears in several tables (the
//! province total in the sex, age and year tables) is *one* cell, so the whole snapshot is
//! suppressed jointly and no table can be used to undo the hiding done in another.
//!
//! # Method
//!
//! [`suppress`] works in three steps:
//!
//! 1. **Primary**: every cell with `0 < value < threshold`, plus the cells in
//!    [`Options::forced`], is hidden. Zeros are published.
//! 2. **Complementary** (a heuristic, repeated to a fixpoint): a constraint with exactly
//!    one hidden cell would give that cell away by subtraction, so one more of its cells is
//!    hidden: the published part with the smallest value, preferring non-zero values (a
//!    hidden zero hides little), ties broken by the lowest index. The total is chosen only
//!    when the constraint has no published part left. Constraints are visited in index
//!    order, and the passes repeat until no constraint has exactly one hidden cell.
//! 3. **Audit**: "every constraint has zero or at least two hidden cells" is *not* enough,
//!    because equations can be combined: in a three-way table, for instance, a pattern
//!    with exactly two hidden cells on every line can still have every one of its cells
//!    determined. So the exact audit [`exposed`] is run. The exposed cells fall into
//!    independent blocks (hidden cells linked through shared constraints); for the lowest
//!    exposed cell of each block, one more cell is hidden: the complement (same
//!    preference) of the first constraint containing it that still has a published cell,
//!    or, when all of those are fully hidden, of the nearest such constraint reached
//!    through hidden cells. Then step 2 and the audit are repeated until the audit is
//!    clean. One cell per block and round, rather than every exposed cell at once, because
//!    a single extra hidden cell usually frees the whole block: on the three-way table of
//!    the tests, fixing all 16 exposed cells at once hides all 27 cells, this hides 20.
//!
//! [`exposed`] treats the hidden cells as unknowns and the constraints as linear
//! equations in them (published cells move to the right-hand side). A hidden cell can be
//! recomputed exactly when its value is the same in every solution of that system, i.e.
//! when every vector of the null space of the coefficient matrix is zero at that cell. It
//! decides this by Gaussian elimination to reduced row echelon form (see [`exposed`] for
//! the arithmetic).
//!
//! # Limits
//!
//! - This protects against **exact recomputation** from the linear equations only. It does
//!   **not** give interval (bounds) protection: an attacker who also uses the fact that
//!   counts are non-negative integers can, with linear programming, often narrow a hidden
//!   cell to a range, sometimes a small one (a hidden 3 paired with a hidden 4 in a line
//!   whose other cells are published is known to lie in `0..=7`). Guaranteeing a minimum
//!   width of that range (protection intervals, as in tau-ARGUS) is not attempted.
//! - The complementary choice is a greedy heuristic: the result is safe in the sense above
//!   but not minimal; an optimising solver could hide fewer or smaller cells.
//! - Only the constraints given are known to the audit. Anything else that is public (an
//!   earlier snapshot, another table) adds equations: pass those constraints too, or keep
//!   the earlier suppression through [`Options::forced`].
//! - Published zeros are information too ("no cases here").
//! - If the constraints themselves pin a cell (a total without parts, a part that must be
//!   zero because two constraints give the same total), no suppression pattern can hide
//!   it. [`suppress`] then stops when it can hide nothing more and [`exposed`] of its result
//!   is not empty; callers that must never publish a recomputable cell should check it.
//!
//! Cell indices at or beyond `values.len()` (or `suppressed.len()` in [`exposed`]) are
//! treated as published cells that can never be hidden; `forced` indices out of range are
//! ignored. Both functions are deterministic.

use std::collections::VecDeque;

/// `values[total] == sum of values[parts]` (the caller guarantees it holds for the true
/// values).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constraint {
    /// The cell that is the sum.
    pub total: usize,
    /// The cells that add up to `total`.
    pub parts: Vec<usize>,
}

/// What [`suppress`] must hide before protecting it.
#[derive(Debug, Clone)]
pub struct Options {
    /// Cells with 0 < value < threshold are suppressed (primary). Zeros are published.
    pub threshold: i64,
    /// Cells that must be suppressed whatever their value (e.g. suppressed in the previous
    /// snapshot: suppression is kept across snapshots so their difference reveals nothing).
    pub forced: Vec<usize>,
    /// Cells that are public whatever happens and are never chosen to hide (the cells an
    /// earlier snapshot published, when its equations are audited together with this one).
    pub locked: Vec<usize>,
}

/// Which cells to suppress (`true` = hidden), `values.len()` long. Deterministic for the
/// same input.
///
/// Primary suppression, complementary suppression to a fixpoint and the exact audit, as
/// described in the [module documentation](self). The result always contains the primary
/// and forced cells, and [`exposed`] of it is empty unless the constraints themselves pin a
/// hidden cell (then no pattern could hide it and the search stops when it can hide nothing
/// more). Protection is against exact recomputation only, not against bounds.
pub fn suppress(values: &[i64], constraints: &[Constraint], opts: &Options) -> Vec<bool> {
    let n = values.len();
    let lines: Vec<Line> = constraints.iter().map(|c| Line::new(c, n)).collect();
    let mut incidence: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (l, line) in lines.iter().enumerate() {
        for &cell in &line.cells {
            incidence[cell].push(l);
        }
    }

    // Step 1: primary, except cells already public; forced cells whatever they hold.
    let mut locked = vec![false; n];
    for &cell in &opts.locked {
        if let Some(l) = locked.get_mut(cell) {
            *l = true;
        }
    }
    let mut hidden: Vec<bool> = values
        .iter()
        .zip(&locked)
        .map(|(&v, &l)| 0 < v && v < opts.threshold && !l)
        .collect();
    for &cell in &opts.forced {
        if let Some(h) = hidden.get_mut(cell) {
            *h = true;
            locked[cell] = false;
        }
    }

    loop {
        // Step 2: complementary, to a fixpoint.
        complete(values, &lines, &locked, &mut hidden);
        // Step 3: audit. Each round hides at least one more cell or stops.
        let blocks = exposed_by_block(constraints, &hidden);
        if blocks.is_empty() {
            break;
        }
        // One cell per block and round: one extra hidden cell often frees every exposed
        // cell of its block, so treating all of them at once over-suppresses.
        let targets: Vec<usize> = blocks.iter().filter_map(|b| b.first().copied()).collect();
        let mut added = false;
        for &cell in &targets {
            if let Some(extra) =
                audit_complement(cell, values, &lines, &incidence, &locked, &hidden)
            {
                hidden[extra] = true;
                added = true;
            }
        }
        if !added {
            break;
        }
    }
    hidden
}

/// The suppressed cells whose value is uniquely determined by the published cells and the
/// constraints (an attacker solving the linear system recovers them), ascending. Empty =
/// safe against exact recomputation (not against bounds: see the
/// [module documentation](self)).
///
/// `values` is not read: whether a cell is determined depends only on which cells are
/// hidden and on the equations, not on their right-hand sides. The parameter is kept so the
/// signature matches [`suppress`]. Cells at or beyond `suppressed.len()` count as
/// published.
///
/// Method: the hidden cells are the unknowns; every constraint involving at least one of
/// them is one equation (coefficient +1 for the total, -1 for each part; a cell listed
/// twice gets the sum of its coefficients). The system is split into independent blocks
/// (hidden cells linked through shared equations) and each block is brought to reduced row
/// echelon form. A hidden cell is determined exactly when its column is a pivot column and
/// its pivot row has no other non-zero entry: the row then reads "cell = constant", and
/// otherwise some null-space vector moves the cell while keeping every equation.
///
/// Arithmetic is exact modulo the prime p = 2^61 - 1 (products in `u128`), so there is no
/// rounding and no overflow. The rank over GF(p) equals the rank over the rationals unless
/// p divides certain non-zero integer minors of the coefficient matrix; with coefficients
/// 0/±1 (small integers when a cell is listed twice) that is practically impossible, so the
/// answer is exact with overwhelming probability, though it is not a proof for every
/// conceivable input. The tests cross-check it against exact rational elimination.
///
/// Cost: dense elimination per block, cubic in the block's number of hidden cells; the
/// audit of a national snapshot (5,500 cells, 1,450 hidden) takes milliseconds in release.
pub fn exposed(values: &[i64], constraints: &[Constraint], suppressed: &[bool]) -> Vec<usize> {
    let _ = values;
    let mut out: Vec<usize> = exposed_by_block(constraints, suppressed)
        .into_iter()
        .flatten()
        .collect();
    out.sort_unstable();
    out
}

/// [`exposed`], grouped by independent block (hidden cells linked through shared
/// equations): each group ascending, groups in order of their lowest hidden cell, no
/// empty groups.
fn exposed_by_block(constraints: &[Constraint], suppressed: &[bool]) -> Vec<Vec<usize>> {
    let is_hidden = |cell: usize| suppressed.get(cell).copied().unwrap_or(false);

    // Equations over the hidden cells: (cell, coefficient) sorted by cell, no zero
    // coefficients, no empty equations.
    let mut equations: Vec<Vec<(usize, i64)>> = Vec::new();
    for c in constraints {
        let mut terms: Vec<(usize, i64)> = Vec::new();
        if is_hidden(c.total) {
            terms.push((c.total, 1));
        }
        terms.extend(c.parts.iter().filter(|&&p| is_hidden(p)).map(|&p| (p, -1)));
        if terms.is_empty() {
            continue;
        }
        terms.sort_unstable_by_key(|&(cell, _)| cell);
        let mut merged: Vec<(usize, i64)> = Vec::with_capacity(terms.len());
        for (cell, coef) in terms {
            match merged.last_mut() {
                Some(last) if last.0 == cell => last.1 += coef,
                _ => merged.push((cell, coef)),
            }
        }
        merged.retain(|&(_, coef)| coef != 0);
        if !merged.is_empty() {
            equations.push(merged);
        }
    }

    // Columns: the hidden cells that occur in some equation, ascending. A hidden cell in no
    // equation is unconstrained, hence never determined.
    let mut cells: Vec<usize> = equations.iter().flatten().map(|&(c, _)| c).collect();
    cells.sort_unstable();
    cells.dedup();
    let mut col_of = vec![usize::MAX; suppressed.len()];
    for (col, &cell) in cells.iter().enumerate() {
        col_of[cell] = col;
    }
    let equations: Vec<Vec<(usize, i64)>> = equations
        .into_iter()
        .map(|eq| eq.into_iter().map(|(cell, k)| (col_of[cell], k)).collect())
        .collect();

    // Independent blocks: columns connected through shared equations (union-find).
    let mut parent: Vec<usize> = (0..cells.len()).collect();
    for eq in &equations {
        if let Some(&(first, _)) = eq.first() {
            for &(col, _) in &eq[1..] {
                let (a, b) = (find(&mut parent, first), find(&mut parent, col));
                if a != b {
                    parent[a.max(b)] = a.min(b);
                }
            }
        }
    }
    let mut block_cols: Vec<Vec<usize>> = vec![Vec::new(); cells.len()];
    for col in 0..cells.len() {
        let root = find(&mut parent, col);
        block_cols[root].push(col);
    }
    let mut block_eqs: Vec<Vec<usize>> = vec![Vec::new(); cells.len()];
    for (e, eq) in equations.iter().enumerate() {
        if let Some(&(first, _)) = eq.first() {
            let root = find(&mut parent, first);
            block_eqs[root].push(e);
        }
    }

    let mut local = vec![0usize; cells.len()];
    let mut out = Vec::new();
    // Roots are the lowest column of their block (union by minimum), so iterating by root
    // orders the blocks by their lowest hidden cell.
    for (cols, eqs) in block_cols.iter().zip(&block_eqs) {
        if cols.is_empty() {
            continue;
        }
        for (i, &col) in cols.iter().enumerate() {
            local[col] = i;
        }
        let mut rows: Vec<Vec<u64>> = eqs
            .iter()
            .map(|&e| {
                let mut row = vec![0u64; cols.len()];
                for &(col, k) in &equations[e] {
                    row[local[col]] = to_field(k);
                }
                row
            })
            .collect();
        let found: Vec<usize> = determined_columns(&mut rows, cols.len())
            .into_iter()
            .map(|i| cells[cols[i]])
            .collect();
        if !found.is_empty() {
            out.push(found);
        }
    }
    out
}

/// A constraint prepared for the suppression loop: in-range cells only, no duplicates.
struct Line {
    /// The total cell, if it is in range.
    total: Option<usize>,
    /// The distinct in-range parts other than the total, ascending.
    parts: Vec<usize>,
    /// The total and the parts, ascending.
    cells: Vec<usize>,
}

impl Line {
    fn new(c: &Constraint, n: usize) -> Self {
        let total = (c.total < n).then_some(c.total);
        let mut parts: Vec<usize> = c
            .parts
            .iter()
            .copied()
            .filter(|&p| p < n && Some(p) != total)
            .collect();
        parts.sort_unstable();
        parts.dedup();
        let mut cells = parts.clone();
        if let Some(t) = total {
            cells.push(t);
            cells.sort_unstable();
        }
        Line {
            total,
            parts,
            cells,
        }
    }

    fn hidden_count(&self, hidden: &[bool]) -> usize {
        self.cells.iter().filter(|&&c| hidden[c]).count()
    }
}

/// The published cell of `line` to hide next: the part with the smallest value, preferring
/// non-zero values, ties by the lowest index; the total only when no part is published.
fn complement(values: &[i64], line: &Line, locked: &[bool], hidden: &[bool]) -> Option<usize> {
    line.parts
        .iter()
        .copied()
        .filter(|&p| !hidden[p] && !locked[p])
        .min_by_key(|&p| (values[p] == 0, values[p], p))
        .or_else(|| line.total.filter(|&t| !hidden[t] && !locked[t]))
}

/// Step 2: until no constraint has exactly one hidden cell (or none of those can take
/// another), hide a complement in each such constraint, in index order.
fn complete(values: &[i64], lines: &[Line], locked: &[bool], hidden: &mut [bool]) {
    loop {
        let mut changed = false;
        for line in lines {
            if line.hidden_count(hidden) == 1
                && let Some(cell) = complement(values, line, locked, hidden)
            {
                hidden[cell] = true;
                changed = true;
            }
        }
        if !changed {
            return;
        }
    }
}

/// Step 3's extra cell for an exposed `cell`: the complement of the first constraint
/// containing it (index order) that still has a published cell. When every constraint
/// containing it is fully hidden, the search widens breadth-first to the constraints
/// reachable through hidden cells, since that is where the equations that determine the
/// cell come from. `None` when the whole connected block is hidden.
fn audit_complement(
    cell: usize,
    values: &[i64],
    lines: &[Line],
    incidence: &[Vec<usize>],
    locked: &[bool],
    hidden: &[bool],
) -> Option<usize> {
    let mut seen_line = vec![false; lines.len()];
    let mut seen_cell = vec![false; hidden.len()];
    let mut queue = VecDeque::new();
    seen_cell[cell] = true;
    for &l in &incidence[cell] {
        seen_line[l] = true;
        queue.push_back(l);
    }
    while let Some(l) = queue.pop_front() {
        let line = &lines[l];
        if let Some(extra) = complement(values, line, locked, hidden) {
            return Some(extra);
        }
        for &c in &line.cells {
            if hidden[c] && !seen_cell[c] {
                seen_cell[c] = true;
                for &next in &incidence[c] {
                    if !seen_line[next] {
                        seen_line[next] = true;
                        queue.push_back(next);
                    }
                }
            }
        }
    }
    None
}

/// Union-find root with path halving.
fn find(parent: &mut [usize], mut x: usize) -> usize {
    while parent[x] != x {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    x
}

/// The prime modulus 2^61 - 1 (a Mersenne prime, so reduction is a shift and an add).
const P: u64 = (1 << 61) - 1;

fn to_field(k: i64) -> u64 {
    // P < 2^63, so the casts are lossless and `rem_euclid` is in 0..P.
    k.rem_euclid(P as i64) as u64
}

fn mul(a: u64, b: u64) -> u64 {
    let x = u128::from(a) * u128::from(b);
    // x < 2^122: split into the low 61 bits and the rest; 2^61 = 1 (mod P).
    let s = (x as u64 & P) + (x >> 61) as u64;
    let s = if s >= P { s - P } else { s };
    if s >= P { s - P } else { s }
}

fn sub(a: u64, b: u64) -> u64 {
    if a >= b { a - b } else { a + P - b }
}

fn inverse(a: u64) -> u64 {
    // Fermat: a^(P-2) = a^-1 for a != 0.
    let (mut base, mut exp, mut acc) = (a, P - 2, 1u64);
    while exp > 0 {
        if exp & 1 == 1 {
            acc = mul(acc, base);
        }
        base = mul(base, base);
        exp >>= 1;
    }
    acc
}

/// Brings `rows` (each `ncols` long, entries mod P) to reduced row echelon form and returns
/// the columns `i` whose pivot row is exactly the unit vector `e_i`, i.e. the unknowns the
/// system determines.
fn determined_columns(rows: &mut [Vec<u64>], ncols: usize) -> Vec<usize> {
    let mut pivots: Vec<usize> = Vec::new();
    let mut r = 0;
    for c in 0..ncols {
        if r == rows.len() {
            break;
        }
        let Some(p) = (r..rows.len()).find(|&i| rows[i][c] != 0) else {
            continue;
        };
        rows.swap(r, p);
        let mut pivot = std::mem::take(&mut rows[r]);
        let inv = inverse(pivot[c]);
        // Entries left of `c` are already zero in the pivot row.
        for x in &mut pivot[c..] {
            *x = mul(*x, inv);
        }
        for (i, row) in rows.iter_mut().enumerate() {
            if i == r {
                continue;
            }
            let f = row[c];
            if f == 0 {
                continue;
            }
            for (x, &y) in row[c..].iter_mut().zip(&pivot[c..]) {
                *x = sub(*x, mul(f, y));
            }
        }
        rows[r] = pivot;
        pivots.push(c);
        r += 1;
    }
    pivots
        .iter()
        .enumerate()
        .filter(|&(ri, &c)| rows[ri].iter().enumerate().all(|(j, &x)| j == c || x == 0))
        .map(|(_, &c)| c)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    // ---------- table builders ----------

    /// An R x C table with row totals, column totals and the grand total, laid out row by
    /// row as (R+1) x (C+1) cells; the last column and the last row are the margins.
    fn table_with_margins(inner: &[Vec<i64>]) -> (Vec<i64>, Vec<Constraint>, usize) {
        let rows = inner.len();
        let cols = inner[0].len();
        let w = cols + 1;
        let mut values = vec![0i64; (rows + 1) * w];
        for (r, row) in inner.iter().enumerate() {
            for (c, &v) in row.iter().enumerate() {
                values[r * w + c] = v;
                values[r * w + cols] += v;
                values[rows * w + c] += v;
                values[rows * w + cols] += v;
            }
        }
        let mut constraints = Vec::new();
        for r in 0..=rows {
            constraints.push(Constraint {
                total: r * w + cols,
                parts: (0..cols).map(|c| r * w + c).collect(),
            });
        }
        for c in 0..=cols {
            constraints.push(Constraint {
                total: rows * w + c,
                parts: (0..rows).map(|r| r * w + c).collect(),
            });
        }
        (values, constraints, w)
    }

    /// A 2 x 2 x 2 table with every one- and two-way margin and the grand total: 3 x 3 x 3
    /// cells, coordinate 2 being "total" on each axis; one constraint per line.
    fn cube(i: usize, j: usize, k: usize) -> usize {
        (i * 3 + j) * 3 + k
    }

    fn cube_with_margins(inner: [[[i64; 2]; 2]; 2]) -> (Vec<i64>, Vec<Constraint>) {
        let mut values = vec![0i64; 27];
        // Each inner cell counts in the 8 cells that keep or total each coordinate.
        for (a, plane) in inner.iter().enumerate() {
            for (b, line) in plane.iter().enumerate() {
                for (c, &v) in line.iter().enumerate() {
                    for i in [a, 2] {
                        for j in [b, 2] {
                            for k in [c, 2] {
                                values[cube(i, j, k)] += v;
                            }
                        }
                    }
                }
            }
        }
        let mut constraints = Vec::new();
        for a in 0..3 {
            for b in 0..3 {
                constraints.push(Constraint {
                    total: cube(a, b, 2),
                    parts: vec![cube(a, b, 0), cube(a, b, 1)],
                });
                constraints.push(Constraint {
                    total: cube(a, 2, b),
                    parts: vec![cube(a, 0, b), cube(a, 1, b)],
                });
                constraints.push(Constraint {
                    total: cube(2, a, b),
                    parts: vec![cube(0, a, b), cube(1, a, b)],
                });
            }
        }
        (values, constraints)
    }

    /// A region hierarchy crossed with `ncat` categories plus a total column (the last
    /// one): cell of (region, column) is `region * (ncat + 1) + column`. `children` lists
    /// (parent, children) top-down; regions without children are leaves whose category
    /// values come from `leaf`. Constraints: each region's total = sum of its categories,
    /// and for every column each parent = sum of its children.
    fn hierarchy(
        nregions: usize,
        ncat: usize,
        children: &[(usize, Vec<usize>)],
        mut leaf: impl FnMut(usize, usize) -> i64,
    ) -> (Vec<i64>, Vec<Constraint>) {
        let w = ncat + 1;
        let mut values = vec![0i64; nregions * w];
        let is_parent = |r: usize| children.iter().any(|(p, _)| *p == r);
        for r in 0..nregions {
            if !is_parent(r) {
                for c in 0..ncat {
                    values[r * w + c] = leaf(r, c);
                }
                values[r * w + ncat] = (0..ncat).map(|c| values[r * w + c]).sum();
            }
        }
        for (p, kids) in children.iter().rev() {
            for c in 0..w {
                values[p * w + c] = kids.iter().map(|k| values[k * w + c]).sum();
            }
        }
        let mut constraints = Vec::new();
        for r in 0..nregions {
            constraints.push(Constraint {
                total: r * w + ncat,
                parts: (0..ncat).map(|c| r * w + c).collect(),
            });
        }
        for (p, kids) in children {
            for c in 0..w {
                constraints.push(Constraint {
                    total: p * w + c,
                    parts: kids.iter().map(|k| k * w + c).collect(),
                });
            }
        }
        (values, constraints)
    }

    /// Fixed-seed xorshift64, so the random tests need no `rand` crate.
    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            let mut x = self.0;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.0 = x;
            x
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }

        fn range(&mut self, lo: i64, hi: i64) -> i64 {
            lo + self.below((hi - lo + 1) as u64) as i64
        }
    }

    // ---------- independent checkers ----------

    fn hidden_cells(hidden: &[bool]) -> Vec<usize> {
        (0..hidden.len()).filter(|&i| hidden[i]).collect()
    }

    /// Every constraint has zero or at least two hidden (distinct) cells.
    fn assert_no_lone_hidden_cell(constraints: &[Constraint], hidden: &[bool]) {
        for (i, c) in constraints.iter().enumerate() {
            let cells: BTreeSet<usize> = std::iter::once(c.total)
                .chain(c.parts.iter().copied())
                .collect();
            let n = cells.iter().filter(|&&x| hidden[x]).count();
            assert!(n != 1, "constraint {i} has exactly one hidden cell");
        }
    }

    /// Is there an assignment of the unknown (`None`) cells, each in `0..=bound`, that
    /// satisfies every constraint? Exhaustive depth-first search; the only shortcut is
    /// propagation (a constraint with one unknown left fixes it; published parts may not
    /// exceed a known total), which never discards a solution.
    fn solvable(constraints: &[Constraint], bound: i64, mut known: Vec<Option<i64>>) -> bool {
        loop {
            let mut changed = false;
            for c in constraints {
                let mut rest = 0i64;
                let mut unknown: Vec<(usize, i64)> = Vec::new();
                for (cell, k) in
                    std::iter::once((c.total, 1)).chain(c.parts.iter().map(|&p| (p, -1)))
                {
                    match known[cell] {
                        Some(v) => rest += k * v,
                        None => match unknown.iter_mut().find(|(x, _)| *x == cell) {
                            Some(u) => u.1 += k,
                            None => unknown.push((cell, k)),
                        },
                    }
                }
                unknown.retain(|&(_, k)| k != 0);
                match unknown.as_slice() {
                    [] => {
                        if rest != 0 {
                            return false;
                        }
                    }
                    [(cell, k)] => {
                        // k * x + rest = 0
                        if rest % k != 0 {
                            return false;
                        }
                        let x = -rest / k;
                        if !(0..=bound).contains(&x) {
                            return false;
                        }
                        known[*cell] = Some(x);
                        changed = true;
                    }
                    many => {
                        if many.iter().all(|&(_, k)| k < 0) && rest < 0 {
                            return false;
                        }
                    }
                }
            }
            if !changed {
                break;
            }
        }
        let Some(cell) = known.iter().position(Option::is_none) else {
            return true;
        };
        (0..=bound).any(|v| {
            let mut next = known.clone();
            next[cell] = Some(v);
            solvable(constraints, bound, next)
        })
    }

    /// The brute-force attacker: knows the published cells, the constraints, and that
    /// every cell is an integer in `0..=grand total`. A hidden cell is recovered when it
    /// takes the same value in every solution, i.e. when no solution gives it any other
    /// value (checked by exhaustive search for each alternative value, nearest first).
    fn brute_force_recovered(
        values: &[i64],
        constraints: &[Constraint],
        hidden: &[bool],
    ) -> Vec<usize> {
        let bound = values.iter().copied().max().unwrap_or(0);
        let published: Vec<Option<i64>> = values
            .iter()
            .zip(hidden)
            .map(|(&v, &h)| (!h).then_some(v))
            .collect();
        assert!(
            solvable(constraints, bound, published.clone()),
            "the true values must be a solution"
        );
        hidden_cells(hidden)
            .into_iter()
            .filter(|&i| {
                let truth = values[i];
                let other_value_possible = (1..=bound)
                    .flat_map(|d| [truth - d, truth + d])
                    .filter(|v| (0..=bound).contains(v))
                    .any(|v| {
                        let mut known = published.clone();
                        known[i] = Some(v);
                        solvable(constraints, bound, known)
                    });
                !other_value_possible
            })
            .collect()
    }

    /// Rank over the rationals by fraction-free integer elimination (small matrices only).
    fn rational_rank(mut rows: Vec<Vec<i128>>) -> usize {
        fn gcd(a: i128, b: i128) -> i128 {
            if b == 0 { a.abs() } else { gcd(b, a % b) }
        }
        let ncols = rows.first().map_or(0, Vec::len);
        let mut r = 0;
        for c in 0..ncols {
            let Some(p) = (r..rows.len()).find(|&i| rows[i][c] != 0) else {
                continue;
            };
            rows.swap(r, p);
            let pivot = rows[r].clone();
            for row in rows.iter_mut().skip(r + 1) {
                let f = row[c];
                if f == 0 {
                    continue;
                }
                for (x, &y) in row.iter_mut().zip(&pivot) {
                    *x = *x * pivot[c] - f * y;
                }
                let g = row.iter().fold(0, |g, &x| gcd(g, x));
                if g > 1 {
                    row.iter_mut().for_each(|x| *x /= g);
                }
            }
            r += 1;
        }
        r
    }

    /// An independent exact `exposed`: hidden cell i is determined iff removing its column
    /// lowers the rank of the coefficient matrix (over Q) by one.
    fn exposed_rational(constraints: &[Constraint], hidden: &[bool]) -> Vec<usize> {
        let unknowns = hidden_cells(hidden);
        let matrix: Vec<Vec<i128>> = constraints
            .iter()
            .map(|c| {
                unknowns
                    .iter()
                    .map(|&u| {
                        i128::from(c.total == u)
                            - c.parts.iter().filter(|&&p| p == u).count() as i128
                    })
                    .collect()
            })
            .collect();
        let full = rational_rank(matrix.clone());
        (0..unknowns.len())
            .filter(|&j| {
                let without: Vec<Vec<i128>> = matrix
                    .iter()
                    .map(|row| {
                        row.iter()
                            .enumerate()
                            .filter(|&(i, _)| i != j)
                            .map(|(_, &x)| x)
                            .collect()
                    })
                    .collect();
                rational_rank(without) + 1 == full
            })
            .map(|j| unknowns[j])
            .collect()
    }

    // ---------- tests ----------

    #[test]
    fn small_cell_in_3x3_table_is_protected() {
        let inner = vec![vec![30, 3, 45], vec![25, 40, 18], vec![60, 22, 35]];
        let (values, constraints, w) = table_with_margins(&inner);
        let opts = Options {
            threshold: 11,
            forced: vec![],
            locked: vec![],
        };
        let hidden = suppress(&values, &constraints, &opts);
        let small = 1; // row 0, column 1
        assert_eq!(values[small], 3);
        assert!(hidden[small], "the small cell is hidden");
        assert_no_lone_hidden_cell(&constraints, &hidden);
        assert!(exposed(&values, &constraints, &hidden).is_empty());
        assert!(brute_force_recovered(&values, &constraints, &hidden).is_empty());
        // The greedy choice, pass 1: row 0 takes 30 (< 45), column 0 takes 25 (< 60),
        // column 1 takes 22 (< 40); pass 2: row 1 takes 18 (< 40), row 2 takes 35 (< 60).
        // A six-cell cycle with every margin published.
        let expected = [(0, 0), (0, 1), (1, 0), (1, 2), (2, 1), (2, 2)];
        let expected: Vec<usize> = expected.iter().map(|&(r, c)| r * w + c).collect();
        assert_eq!(hidden_cells(&hidden), expected);
    }

    /// The failure of the naive rule. In a 2 x 2 x 2 table with all its margins, this
    /// 16-cell pattern (it includes the grand total) has exactly two hidden cells on every
    /// line it touches, so "no constraint with a single hidden cell" is satisfied, yet
    /// combining the line equations pins every one of the 16 cells.
    #[test]
    fn two_per_line_pattern_can_still_be_exposed_and_suppress_fixes_it() {
        let (values, constraints) = cube_with_margins([[[3, 5], [4, 6]], [[7, 2], [5, 8]]]);
        let pattern: Vec<usize> = [
            (0, 0, 0),
            (0, 0, 1),
            (0, 1, 0),
            (0, 1, 2),
            (0, 2, 1),
            (0, 2, 2),
            (1, 1, 0),
            (1, 1, 1),
            (1, 2, 0),
            (1, 2, 1),
            (2, 0, 0),
            (2, 0, 1),
            (2, 1, 1),
            (2, 1, 2),
            (2, 2, 0),
            (2, 2, 2),
        ]
        .iter()
        .map(|&(i, j, k)| cube(i, j, k))
        .collect();
        assert!(pattern.contains(&cube(2, 2, 2)), "touches the grand total");
        let mut hidden = vec![false; values.len()];
        for &c in &pattern {
            hidden[c] = true;
        }
        for c in &constraints {
            let n = std::iter::once(c.total)
                .chain(c.parts.iter().copied())
                .filter(|&x| hidden[x])
                .count();
            assert!(
                n == 0 || n == 2,
                "every line has 0 or exactly 2 hidden cells"
            );
        }
        // The naive complementary step sees nothing to do.
        let lines: Vec<Line> = constraints
            .iter()
            .map(|c| Line::new(c, values.len()))
            .collect();
        let mut naive = hidden.clone();
        complete(&values, &lines, &vec![false; values.len()], &mut naive);
        assert_eq!(naive, hidden);
        // But every hidden cell is recomputable: the audit and the attacker agree.
        let mut sorted = pattern.clone();
        sorted.sort_unstable();
        assert_eq!(exposed(&values, &constraints, &hidden), sorted);
        assert_eq!(
            brute_force_recovered(&values, &constraints, &hidden),
            sorted
        );
        assert_eq!(exposed_rational(&constraints, &hidden), sorted);

        // `suppress` starting from the same pattern (forced, no primary) repairs it.
        let opts = Options {
            threshold: 1,
            forced: pattern.clone(),
            locked: vec![],
        };
        let fixed = suppress(&values, &constraints, &opts);
        assert!(pattern.iter().all(|&c| fixed[c]));
        assert!(hidden_cells(&fixed).len() > pattern.len());
        // ... without hiding the whole table (which would be trivially safe).
        assert_eq!(hidden_cells(&fixed).len(), 20);
        assert_no_lone_hidden_cell(&constraints, &fixed);
        assert!(exposed(&values, &constraints, &fixed).is_empty());
        assert!(brute_force_recovered(&values, &constraints, &fixed).is_empty());
    }

    /// National = 3 provinces, provinces = 2, 3 and 2 regencies; crossed with sex.
    fn two_level_hierarchy() -> (Vec<i64>, Vec<Constraint>) {
        let children = vec![
            (0, vec![1, 2, 3]),
            (1, vec![4, 5]),
            (2, vec![6, 7, 8]),
            (3, vec![9, 10]),
        ];
        // (female, male) per regency 4..=10; regency 6's female count is 2.
        let leaves = [
            (14, 19),
            (21, 12),
            (2, 17),
            (15, 23),
            (18, 13),
            (25, 16),
            (12, 20),
        ];
        hierarchy(11, 2, &children, |r, c| {
            let (f, m) = leaves[r - 4];
            if c == 0 { f } else { m }
        })
    }

    #[test]
    fn two_level_hierarchy_crossed_with_sex_is_safe() {
        let (values, constraints) = two_level_hierarchy();
        let small = 6 * 3; // regency 6, female
        assert_eq!(values[small], 2);
        let opts = Options {
            threshold: 11,
            forced: vec![],
            locked: vec![],
        };
        let hidden = suppress(&values, &constraints, &opts);
        assert!(hidden[small]);
        assert_no_lone_hidden_cell(&constraints, &hidden);
        assert!(exposed(&values, &constraints, &hidden).is_empty());
        assert!(brute_force_recovered(&values, &constraints, &hidden).is_empty());
        // Only the small cell was primary; the national row needs no hiding here.
        assert!((0..3).all(|c| !hidden[c]), "national row published");
    }

    #[test]
    fn forced_cells_stay_hidden_and_result_is_safe() {
        let inner = vec![vec![130, 95, 145], vec![125, 140, 118], vec![160, 122, 135]];
        let (values, constraints, w) = table_with_margins(&inner);
        // A large interior cell and a large row total, both kept from an earlier snapshot;
        // out-of-range indices are ignored.
        let forced = vec![w + 1, 2 * w + 3, 999];
        let opts = Options {
            threshold: 11,
            forced: forced.clone(),
            locked: vec![],
        };
        let hidden = suppress(&values, &constraints, &opts);
        assert_eq!(hidden.len(), values.len());
        assert!(hidden[w + 1] && hidden[2 * w + 3]);
        assert!(values[w + 1] >= 11 && values[2 * w + 3] >= 11);
        assert_no_lone_hidden_cell(&constraints, &hidden);
        assert!(exposed(&values, &constraints, &hidden).is_empty());
        assert!(brute_force_recovered(&values, &constraints, &hidden).is_empty());
        // Without forcing, nothing is small, so nothing is hidden at all.
        let plain = suppress(
            &values,
            &constraints,
            &Options {
                threshold: 11,
                forced: vec![],
                locked: vec![],
            },
        );
        assert!(plain.iter().all(|&h| !h));
    }

    #[test]
    fn zeros_are_published_and_not_used_as_complements() {
        // (0,0) = 3 is small; its row and its column each offer a zero and a large value.
        let inner = vec![vec![3, 0, 40], vec![0, 25, 30], vec![50, 20, 35]];
        let (values, constraints, w) = table_with_margins(&inner);
        let opts = Options {
            threshold: 11,
            forced: vec![],
            locked: vec![],
        };
        let hidden = suppress(&values, &constraints, &opts);
        assert!(hidden[0]);
        assert!(!hidden[1], "zero at (0,1) stays published");
        assert!(!hidden[w], "zero at (1,0) stays published");
        assert!(hidden[2], "row 0 takes 40 rather than the zero");
        assert!(hidden[2 * w], "column 0 takes 50 rather than the zero");
        assert_no_lone_hidden_cell(&constraints, &hidden);
        assert!(exposed(&values, &constraints, &hidden).is_empty());
        assert!(brute_force_recovered(&values, &constraints, &hidden).is_empty());
    }

    #[test]
    fn complement_prefers_smallest_nonzero_part_then_lowest_index_then_total() {
        let values = vec![100, 0, 7, 5, 5, 9];
        let line = Line::new(
            &Constraint {
                total: 0,
                parts: vec![1, 2, 3, 4, 5],
            },
            values.len(),
        );
        let mut hidden = vec![false; values.len()];
        let mut locked = vec![false; values.len()];
        locked[3] = true;
        assert_eq!(
            complement(&values, &line, &locked, &hidden),
            Some(4),
            "a locked cell is never chosen"
        );
        locked[3] = false;
        assert_eq!(
            complement(&values, &line, &locked, &hidden),
            Some(3),
            "5 at index 3"
        );
        hidden[3] = true;
        assert_eq!(complement(&values, &line, &locked, &hidden), Some(4));
        hidden[4] = true;
        assert_eq!(complement(&values, &line, &locked, &hidden), Some(2));
        hidden[2] = true;
        hidden[5] = true;
        assert_eq!(
            complement(&values, &line, &locked, &hidden),
            Some(1),
            "a zero part"
        );
        hidden[1] = true;
        assert_eq!(
            complement(&values, &line, &locked, &hidden),
            Some(0),
            "then the total"
        );
        hidden[0] = true;
        assert_eq!(complement(&values, &line, &locked, &hidden), None);
    }

    #[test]
    fn field_arithmetic_is_consistent() {
        assert_eq!(to_field(-1), P - 1);
        assert_eq!(to_field(3), 3);
        assert_eq!(mul(P - 1, P - 1), 1, "(-1)^2");
        assert_eq!(mul(1 << 60, 4), 2, "2^62 = 2 (mod 2^61 - 1)");
        for a in [1, 2, 3, 12_345, P - 2, P - 1, 1 << 60] {
            assert_eq!(mul(a, inverse(a)), 1, "{a}");
            assert_eq!(sub(a, a), 0);
            assert_eq!(sub(0, a), P - a);
        }
    }

    #[test]
    fn exposed_on_known_cases() {
        let inner = vec![vec![30, 3, 45], vec![25, 40, 18], vec![60, 22, 35]];
        let (values, constraints, w) = table_with_margins(&inner);
        let mut hidden = vec![false; values.len()];
        assert!(exposed(&values, &constraints, &hidden).is_empty());
        // One hidden cell: recomputable from its row.
        hidden[1] = true;
        assert_eq!(exposed(&values, &constraints, &hidden), vec![1]);
        // A 2 x 2 rectangle: nothing recomputable.
        for c in [0, w, w + 1] {
            hidden[c] = true;
        }
        assert!(exposed(&values, &constraints, &hidden).is_empty());
        // An L of three: (0,1) and (1,0) are alone in a column / a row, then (0,0) follows.
        hidden[w + 1] = false;
        assert_eq!(exposed(&values, &constraints, &hidden), vec![0, 1, w]);
        // Degenerate: a total with no parts is pinned to zero; hidden cells that occur
        // in no constraint are never exposed; `values` is not needed.
        let degenerate = vec![
            Constraint {
                total: 0,
                parts: vec![],
            },
            Constraint {
                total: 1,
                parts: vec![1, 2],
            },
        ];
        assert_eq!(
            exposed(&[], &degenerate, &[true, true, true, true]),
            vec![0, 2]
        );
    }

    #[test]
    fn exposed_agrees_with_rational_elimination_and_the_attacker() {
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        let (cube_values, cube_constraints) =
            cube_with_margins([[[3, 5], [4, 6]], [[7, 2], [5, 8]]]);
        let (tab_values, tab_constraints, _) =
            table_with_margins(&[vec![4, 7, 2, 5], vec![3, 6, 8, 1], vec![5, 2, 4, 3]]);
        let (h_values, h_constraints) = two_level_hierarchy();
        let cases = [
            (&cube_values, &cube_constraints),
            (&tab_values, &tab_constraints),
            (&h_values, &h_constraints),
        ];
        let mut nonempty = 0;
        for (case, (values, constraints)) in cases.iter().enumerate() {
            for trial in 0..150 {
                let density = 20 + rng.below(50);
                let hidden: Vec<bool> = (0..values.len())
                    .map(|_| rng.below(100) < density)
                    .collect();
                let fast = exposed(values, constraints, &hidden);
                assert_eq!(
                    fast,
                    exposed_rational(constraints, &hidden),
                    "case {case} trial {trial}"
                );
                nonempty += usize::from(!fast.is_empty());
                // Whatever the audit reports, the attacker really recomputes (small tables
                // only: the attacker is exhaustive).
                if case < 2 && trial % 10 == 0 {
                    let attacker = brute_force_recovered(values, constraints, &hidden);
                    assert!(fast.iter().all(|c| attacker.contains(c)), "case {case}");
                }
            }
        }
        assert!(nonempty > 50, "the random patterns exercise both outcomes");
    }

    #[test]
    fn suppress_is_deterministic() {
        let (values, constraints) = two_level_hierarchy();
        let opts = Options {
            threshold: 20,
            forced: vec![5],
            locked: vec![],
        };
        let a = suppress(&values, &constraints, &opts);
        let b = suppress(&values, &constraints, &opts.clone());
        assert_eq!(a, b);
        assert!(hidden_cells(&a).len() > 2);
        let (values, constraints, opts) = random_snapshot(7, 40, 5);
        assert_eq!(
            suppress(&values, &constraints, &opts),
            suppress(&values, &constraints, &opts)
        );
    }

    /// National, provinces and `nleaves` regencies split randomly among 5 provinces,
    /// crossed with `ncat` categories and a total column; values mix zeros, small and large
    /// counts.
    fn random_snapshot(
        seed: u64,
        nleaves: usize,
        ncat: usize,
    ) -> (Vec<i64>, Vec<Constraint>, Options) {
        let mut rng = XorShift(seed.wrapping_mul(0x2545_F491_4F6C_DD1D) | 1);
        let nprov = 5;
        let mut children = vec![(0, (1..=nprov).collect::<Vec<_>>())];
        let mut next = 1 + nprov;
        for p in 1..=nprov {
            let remaining = nleaves - (next - 1 - nprov);
            let size = if p == nprov {
                remaining
            } else {
                (2 + rng.below(2 * nleaves as u64 / nprov as u64 - 2) as usize)
                    .min(remaining - 2 * (nprov - p))
            };
            children.push((p, (next..next + size).collect()));
            next += size;
        }
        let (values, constraints) = hierarchy(next, ncat, &children, |_, _| match rng.below(100) {
            0..12 => 0,
            12..45 => rng.range(1, 10),
            _ => rng.range(11, 300),
        });
        let opts = Options {
            threshold: 11,
            forced: vec![],
            locked: vec![],
        };
        (values, constraints, opts)
    }

    #[test]
    fn randomized_hierarchy_with_margins_is_never_exposed() {
        for seed in 1..=12 {
            let (values, constraints, opts) = random_snapshot(seed, 40, 5);
            assert_eq!(values.len(), 46 * 6);
            let hidden = suppress(&values, &constraints, &opts);
            for (i, &v) in values.iter().enumerate() {
                if 0 < v && v < opts.threshold {
                    assert!(hidden[i], "seed {seed}: primary cell {i}");
                }
            }
            assert_no_lone_hidden_cell(&constraints, &hidden);
            assert!(
                exposed(&values, &constraints, &hidden).is_empty(),
                "seed {seed}"
            );
            assert_eq!(
                exposed_rational(&constraints, &hidden),
                Vec::<usize>::new(),
                "seed {seed}"
            );
        }
    }

    /// National scale: 38 provinces, 514 regencies, crossed with sex (2), age (4) and year
    /// (3) sharing one total column: 553 x 10 cells, about 2,000 constraints. Run with
    /// `cargo test -p domain --release --lib suppression -- --ignored --nocapture`.
    #[test]
    #[ignore = "timing check, run in release"]
    fn national_scale_is_fast() {
        let mut rng = XorShift(0xDEAD_BEEF_1234_5678);
        let (nprov, nreg) = (38usize, 514usize);
        let nregions = 1 + nprov + nreg;
        let w = 10; // F, M, A0..A3, Y0..Y2, total
        let mut children = vec![(0, (1..=nprov).collect::<Vec<_>>())];
        let mut next = 1 + nprov;
        for p in 1..=nprov {
            let size = if p == nprov {
                nregions - next
            } else {
                (8 + rng.below(12) as usize).min(nregions - next - 8 * (nprov - p))
            };
            children.push((p, (next..next + size).collect()));
            next += size;
        }
        assert_eq!(next, nregions);
        let mut values = vec![0i64; nregions * w];
        let split = |rng: &mut XorShift, total: i64, k: usize| -> Vec<i64> {
            let mut cuts: Vec<i64> = (0..k - 1).map(|_| rng.range(0, total)).collect();
            cuts.sort_unstable();
            let mut out = Vec::with_capacity(k);
            let mut prev = 0;
            for c in cuts {
                out.push(c - prev);
                prev = c;
            }
            out.push(total - prev);
            out
        };
        for r in 1 + nprov..nregions {
            let total = if rng.below(100) < 30 {
                rng.range(0, 30)
            } else {
                rng.range(30, 2000)
            };
            let row: Vec<i64> = [split(&mut rng, total, 2), split(&mut rng, total, 4)]
                .concat()
                .into_iter()
                .chain(split(&mut rng, total, 3))
                .chain([total])
                .collect();
            values[r * w..(r + 1) * w].copy_from_slice(&row);
        }
        for (p, kids) in children.iter().rev() {
            for c in 0..w {
                values[p * w + c] = kids.iter().map(|k| values[k * w + c]).sum();
            }
        }
        let mut constraints = Vec::new();
        for r in 0..nregions {
            for group in [0..2, 2..6, 6..9] {
                constraints.push(Constraint {
                    total: r * w + 9,
                    parts: group.map(|c| r * w + c).collect(),
                });
            }
        }
        for (p, kids) in &children {
            for c in 0..w {
                constraints.push(Constraint {
                    total: p * w + c,
                    parts: kids.iter().map(|k| k * w + c).collect(),
                });
            }
        }
        let opts = Options {
            threshold: 11,
            forced: vec![],
            locked: vec![],
        };
        let start = std::time::Instant::now();
        let hidden = suppress(&values, &constraints, &opts);
        let elapsed = start.elapsed();
        let primary = values.iter().filter(|&&v| 0 < v && v < 11).count();
        println!(
            "{} cells, {} constraints, {} primary, {} hidden, {:?}",
            values.len(),
            constraints.len(),
            primary,
            hidden_cells(&hidden).len(),
            elapsed
        );
        assert_no_lone_hidden_cell(&constraints, &hidden);
        assert!(exposed(&values, &constraints, &hidden).is_empty());
        // The audit alone on an unstructured pattern (random cells, one in ten, so the
        // blocks are large), a harder case than what `suppress` produces.
        for pct in [5, 10, 20] {
            let random: Vec<bool> = (0..values.len()).map(|_| rng.below(100) < pct).collect();
            let start = std::time::Instant::now();
            let found = exposed(&values, &constraints, &random);
            println!(
                "audit of {} random hidden cells: {} exposed, {:?}",
                hidden_cells(&random).len(),
                found.len(),
                start.elapsed()
            );
        }
    }
}
