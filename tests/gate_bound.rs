//! The gate's bound, proven on generated documents instead of known shapes (issue 18, N1).
//!
//! A grammar of documents (operations, fragments that spread each other with fan-out, spreads
//! of unknown fragments, inline fragments on any type, aliases, arguments with small and large
//! literals, directives in small and large numbers, unknown names) is driven by proptest. For
//! every document the gate lets through (`prepare::check`, the checks before async-graphql),
//! two oracles:
//!
//! 1. **Counted**: a walk of the document as async-graphql's recursion-depth check and its
//!    validation's second pass walk it (every fragment spread expanded, no memoisation; each
//!    selection, directive and argument value one step) takes at most `--max-expanded-nodes`
//!    steps. The walk stops one step past the bound, so it never explodes itself.
//! 2. **Timed**: the whole path up to execution (the gate's checks and async-graphql's
//!    validation, in the same schema the server validates with) takes under 50 ms of this
//!    thread's CPU time. A normal document takes well under 1 ms, a fan-out seconds, so the
//!    check finds exponential cases without flaking on a loaded machine (CPU time, not wall
//!    time).
//!
//! proptest keeps any failing case it finds in `tests/gate_bound.proptest-regressions`, and
//! the documents that broke the gate before are kept below as fixed regression cases.
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql_value::Value;
use plejeoverblik::graphql::limits::Limits;
use plejeoverblik::graphql::{self, prepare, AppSchema};
use plejeoverblik::Config;
use proptest::prelude::*;
use std::time::Duration;

/// CPU time the path up to execution may take for one document the gate accepts.
const BUDGET: Duration = Duration::from_millis(50);

fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec it is given and nothing else.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// A document from a list of choices: each choice picks one branch of the grammar, so
/// proptest's shrinking of the list shrinks the document.
struct Gen<'a> {
    choices: &'a [u32],
    at: usize,
    fragments: usize,
    /// Spreads still to write: most documents stay within the gate's count of written
    /// spreads, so that they test the walk rather than that count.
    spreads_left: u32,
    /// A spread of a fragment that does not exist may be written (a quarter of documents).
    unknown: bool,
    /// A spread may go back to an earlier fragment (a cycle; a quarter of documents).
    back: bool,
}

const TYPES: &[&str] = &[
    "Query",
    "Kommune",
    "Node",
    "Enhed",
    "Viewer",
    "SearchConnection",
    "Nope",
];
const FIELDS: &[&str] = &[
    "__typename",
    "kommuner",
    "kommune",
    "kode",
    "navn",
    "node",
    "id",
    "viewer",
    "nope",
    "search",
];

impl Gen<'_> {
    /// The next choice among `n`. Past the end of the list the list is read again (mixed
    /// with the position), so a short list still gives a varied document.
    fn next(&mut self, n: u32) -> u32 {
        let len = self.choices.len().max(1);
        let v = self.choices.get(self.at % len).copied().unwrap_or(0);
        let round = (self.at / len) as u32;
        self.at += 1;
        v.wrapping_add(round.wrapping_mul(0x9E37_79B9)) % n.max(1)
    }

    fn value(&mut self, out: &mut String, depth: u32) {
        match self.next(if depth > 2 { 4 } else { 7 }) {
            0 => out.push('1'),
            1 => out.push_str("\"x\""),
            2 => out.push_str("$v"),
            3 => out.push_str("true"),
            5 if self.next(4) == 0 => {
                // A long list of one value: thousands of values to walk.
                let n = self.next(3000) as usize;
                let mut item = String::new();
                self.value(&mut item, 3);
                out.push('[');
                out.push_str(&format!("{item},").repeat(n));
                out.push(']');
            }
            4 | 5 => {
                // A short list of anything.
                out.push('[');
                for _ in 0..self.next(5) {
                    self.value(out, depth + 1);
                    out.push(',');
                }
                out.push(']');
            }
            _ => {
                out.push_str("{a: ");
                self.value(out, depth + 1);
                out.push_str(", b: ");
                self.value(out, depth + 1);
                out.push('}');
            }
        }
    }

    fn directives(&mut self, out: &mut String) {
        let n = if self.next(20) == 0 {
            self.next(200)
        } else {
            self.next(3)
        };
        // Two kinds, alternating: a long run costs two choices, not hundreds.
        let kinds = [self.next(5), self.next(5)];
        for i in 0..n {
            out.push_str(match kinds[i as usize % 2] {
                0 => " @skip(if: false)",
                1 => " @include(if: true)",
                2 => " @skip(if: $v)",
                3 => " @nope",
                _ => " @include(if: [true, false])",
            });
        }
    }

    /// A selection set; `bare`: of spreads and inline fragments only, no fields, as a fan-out
    /// looks whose cost is in the walk itself rather than in fields.
    fn selection_set(&mut self, out: &mut String, depth: u32, own: Option<usize>, bare: bool) {
        out.push_str(" {");
        let items = 1 + self.next(if bare { 3 } else { 4 });
        for _ in 0..items {
            let pick = if bare {
                3 + self.next(7)
            } else {
                self.next(10)
            };
            match pick {
                0..=2 => {
                    out.push(' ');
                    if self.next(4) == 0 {
                        out.push_str(&format!("a{}: ", self.next(40)));
                    }
                    out.push_str(FIELDS[self.next(FIELDS.len() as u32) as usize]);
                    if self.next(3) == 0 {
                        out.push_str("(kode: ");
                        self.value(out, 0);
                        out.push(')');
                    }
                    self.directives(out);
                    if depth < 5 && self.next(2) == 0 {
                        self.selection_set(out, depth + 1, own, false);
                    }
                }
                3..=7 => {
                    // A spread, repeated: the fan-out. Usually of the next fragment (chains),
                    // sometimes of any, sometimes of one that does not exist.
                    let target = match (self.next(8), own) {
                        (0, Some(i)) if !self.back => {
                            i + 1 + self.next(self.fragments.saturating_sub(i) as u32) as usize
                        }
                        (0, _) => self.next(self.fragments as u32) as usize,
                        (_, Some(i)) => i + 1,
                        (_, None) => 0,
                    };
                    // Past the last fragment: a spread of one that does not exist, or a field.
                    if self.spreads_left == 0 || (target >= self.fragments && !self.unknown) {
                        out.push_str(" __typename");
                        continue;
                    }
                    let name = if target >= self.fragments {
                        "Nope".to_string()
                    } else {
                        format!("F{target}")
                    };
                    let times = (1 + self.next(4)).min(self.spreads_left);
                    self.spreads_left -= times;
                    for _ in 0..times {
                        out.push_str(&format!(" ...{name}"));
                        self.directives(out);
                    }
                }
                _ => {
                    out.push_str(" ...");
                    if self.next(3) != 0 {
                        out.push_str(" on ");
                        out.push_str(TYPES[self.next(TYPES.len() as u32) as usize]);
                    }
                    self.directives(out);
                    if depth < 5 {
                        self.selection_set(out, depth + 1, own, bare);
                    } else {
                        out.push_str(" { __typename }");
                    }
                }
            }
        }
        out.push_str(" }");
    }

    fn document(choices: &[u32]) -> String {
        let mut g = Gen {
            choices,
            at: 0,
            fragments: 0,
            spreads_left: 0,
            unknown: false,
            back: false,
        };
        g.fragments = g.next(14) as usize;
        g.spreads_left = if g.next(5) == 0 { 130 } else { 100 };
        g.unknown = g.next(4) == 0;
        g.back = g.next(4) == 0;
        let mut out = String::from("query Q($v: Boolean = true)");
        // A third of the documents are fan-outs of spreads alone, the rest mix (and may still
        // leave out fields in a fragment).
        let all_bare = g.next(3) == 0;
        let bare = all_bare || g.next(2) == 0;
        g.selection_set(&mut out, 0, None, bare);
        for i in 0..g.fragments {
            let on = TYPES[g.next(TYPES.len() as u32) as usize];
            out.push_str(&format!(" fragment F{i} on {on}"));
            g.directives(&mut out);
            let bare = all_bare || g.next(2) == 0;
            g.selection_set(&mut out, 0, Some(i), bare);
        }
        out
    }
}

fn value_steps(v: &Value) -> usize {
    match v {
        Value::List(l) => 1 + l.iter().map(value_steps).sum::<usize>(),
        Value::Object(o) => 1 + o.values().map(value_steps).sum::<usize>(),
        _ => 1,
    }
}

/// async-graphql's walk of the expanded document (its `visit_fragment_spread` in the inline
/// mode and `check_recursive_depth`), counted until it passes `left`.
fn walk(doc: &ExecutableDocument, set: &SelectionSet, left: &mut usize) -> bool {
    for item in &set.items {
        let directives: usize = item
            .node
            .directives()
            .iter()
            .map(|d| {
                1 + d
                    .node
                    .arguments
                    .iter()
                    .map(|(_, v)| value_steps(&v.node))
                    .sum::<usize>()
            })
            .sum();
        let mut step = 1 + directives;
        let inner = match &item.node {
            Selection::Field(f) => {
                step += f
                    .node
                    .arguments
                    .iter()
                    .map(|(_, v)| value_steps(&v.node))
                    .sum::<usize>();
                Some(&f.node.selection_set.node)
            }
            Selection::InlineFragment(i) => Some(&i.node.selection_set.node),
            Selection::FragmentSpread(s) => doc
                .fragments
                .get(&s.node.fragment_name.node)
                .map(|f| &f.node.selection_set.node),
        };
        if step > *left {
            return false;
        }
        *left -= step;
        if let Some(inner) = inner {
            if !walk(doc, inner, left) {
                return false;
            }
        }
    }
    true
}

struct Oracle {
    limits: Limits,
    validator: AppSchema,
    runtime: tokio::runtime::Runtime,
    max_bytes: usize,
}

impl Oracle {
    fn new() -> Oracle {
        let c = Config::default();
        Oracle {
            limits: graphql::limits(&c),
            validator: graphql::validating_schema(&c),
            runtime: tokio::runtime::Builder::new_current_thread()
                .build()
                .expect("a runtime"),
            max_bytes: c.max_document_bytes,
        }
    }

    /// Checks one document; the CPU time it took when the gate let it through.
    fn check(&self, text: &str) -> Result<Option<Duration>, String> {
        if text.len() > self.max_bytes {
            // The HTTP layer refuses it before the gate.
            return Ok(None);
        }
        let start = thread_cpu();
        let Ok((doc, _)) = prepare::check(&self.limits, text) else {
            return Ok(None);
        };
        let mut left = self.limits.max_nodes;
        let counted = doc
            .operations
            .iter()
            .all(|(_, op)| walk(&doc, &op.node.selection_set.node, &mut left));
        let errors = self.runtime.block_on(prepare::validate(
            &self.validator,
            doc,
            async_graphql::Variables::default(),
        ));
        let took = thread_cpu() - start;
        if !counted {
            return Err(format!(
                "the gate let through a document async-graphql walks in more than {} steps:\n{text}",
                self.limits.max_nodes
            ));
        }
        if took > BUDGET {
            return Err(format!(
                "checking and validating took {took:?} of CPU time (budget {BUDGET:?}; {} errors):\n{text}",
                errors.len()
            ));
        }
        Ok(Some(took))
    }
}

thread_local! {
    static ORACLE: Oracle = Oracle::new();
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 6000,
        max_shrink_iters: 2000,
        max_shrink_time: 20_000,
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::Direct(
                "tests/gate_bound.proptest-regressions",
            ),
        )),
        ..ProptestConfig::default()
    })]

    #[test]
    fn no_document_the_gate_accepts_costs_more_than_its_bound(
        choices in prop::collection::vec(any::<u32>(), 1..600)
    ) {
        let text = Gen::document(&choices);
        let r = ORACLE.with(|o| o.check(&text));
        prop_assert!(r.is_ok(), "{}", r.err().unwrap_or_default());
    }
}

/// The generator reaches both sides of the gate: a generator whose documents were all refused
/// (or all trivial) would prove nothing.
#[test]
fn the_generator_reaches_both_sides_of_the_gate() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = prop::collection::vec(any::<u32>(), 1..600);
    let (mut accepted, mut refused, mut fanned) = (0, 0, 0);
    let mut slowest = Duration::ZERO;
    ORACLE.with(|o| {
        for _ in 0..500 {
            let choices = strategy.new_tree(&mut runner).expect("a case").current();
            let text = Gen::document(&choices);
            if text.matches("...F").count() > 20 {
                fanned += 1;
            }
            match o.check(&text) {
                Ok(Some(took)) => {
                    accepted += 1;
                    slowest = slowest.max(took);
                }
                Ok(None) => refused += 1,
                Err(e) => panic!("{e}"),
            }
        }
    });
    assert!(
        accepted >= 50,
        "only {accepted} of 500 documents passed the gate"
    );
    assert!(
        refused >= 50,
        "only {refused} of 500 documents were refused"
    );
    assert!(fanned >= 50, "only {fanned} of 500 documents fan out");
    eprintln!(
        "500 documents: {accepted} accepted (the slowest took {slowest:?} of CPU), {refused} refused, {fanned} with over 20 spreads"
    );
}

/// Documents that passed the gate and stalled the service before (issue 18), kept as they
/// were found.
#[test]
fn known_fan_outs_are_refused_or_cheap() {
    let chain = |n: usize, leaf: &str, on: &str, spread: &str| {
        let mut s = String::from("query { ...F0 }");
        for i in 0..n {
            s.push_str(&format!(
                " fragment F{i} on {on} {{ {} }}",
                spread.replace("{i}", &(i + 1).to_string())
            ));
        }
        s.push_str(&format!(" fragment F{n} on {on} {{ {leaf} }}"));
        s
    };
    let cases = [
        // N1: 611 bytes, 4^11 walks of a spread of a fragment that does not exist.
        chain(11, "...Nope", "Query", "...F{i} ...F{i} ...F{i} ...F{i}"),
        chain(20, "...Nope", "Query", "...F{i} ...F{i} ...F{i} ...F{i}"),
        chain(
            19,
            "...Nope @skip(if: false)",
            "Query",
            "...F{i} @include(if: true) ...F{i} @skip(if: false) ...F{i} ...F{i}",
        ),
        chain(19, "kode", "Kommune", "...F{i} ...F{i} ...F{i} ...F{i}"),
        chain(
            19,
            "nope { nope }",
            "Query",
            "...F{i} ...F{i} ...F{i} ...F{i}",
        ),
        chain(
            4,
            &format!(
                "__typename kommune(kode: [{}1]) {{ kode }}",
                "1,".repeat(14_000)
            ),
            "Query",
            "...F{i} ...F{i} ...F{i} ...F{i}",
        ),
        chain(
            4,
            &format!(
                "... on Query {} {{ __typename }}",
                "@skip(if: false) ".repeat(1500)
            ),
            "Query",
            "...F{i} ...F{i} ...F{i} ...F{i}",
        ),
    ];
    ORACLE.with(|o| {
        for text in &cases {
            if let Err(e) = o.check(text) {
                panic!("{e}");
            }
        }
    });
}
