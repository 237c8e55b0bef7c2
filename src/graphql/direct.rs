//! A search page's hits written straight into the response, without async-graphql's executor
//! per field (issue 10's cold page).
//!
//! async-graphql resolves every field of every object as a boxed future of its own: it clones
//! the context, compares the field's name with each of the type's fields in turn, and merges
//! the answer into the object's map with two hash lookups. A 30-hit page is about 450 fields,
//! and that machinery was about half of the CPU of a cold search (`benches/README.md`, fifth
//! session), many times what the fields' own values cost. The types a hit is made of are plain data in memory, so their fields can be read at
//! once: a [`Direct`] type names the value of each field it can give without the request, and
//! [`DirectList`] walks the selection set of its items itself, in selection order.
//!
//! Anything the walk does not know goes the usual way, for the whole list: a field with
//! arguments or a directive, a fragment on an interface, a field asked twice under one name
//! (async-graphql merges those), or a field whose value needs the request (a loader, the
//! viewer). So the answer is always async-graphql's own: a test compares the two ways' response
//! text (`tests/api/search.rs`), and a unit test that every field of these types but those that
//! need the request is written directly (`types.rs`). No crate does this; async-graphql has no
//! hook between a list and its items' fields.
//!
//! **Rendered objects.** A type may name what its text depends on ([`Direct::identity`]: a
//! search hit's enhed is its row in one snapshot on one day). Its text is then kept per document
//! and selection set ([`Rendered`], bounded in bytes), so the next page that shows the same
//! enhed with the same document copies it instead of writing it again: a public site sends a few
//! documents with different kommuner and points, over a few thousand enheder (issue 21's
//! figures, `benches/README.md`).
use async_graphql::parser::types::{Field, FragmentDefinition, Selection, SelectionSet};
use async_graphql::parser::Pos;
use async_graphql::registry::Registry;
use async_graphql::resolver_utils::{enum_value, resolve_list, EnumType};
use async_graphql::{
    ContextSelectionSet, Name, OutputType, Positioned, ScalarType, ServerResult, Value,
};
use bytes::Bytes;
use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

/// A type whose fields (most of them) are data in memory.
pub trait Direct: OutputType {
    /// The value of the field `name`, with `below` the field's own selection set (for an
    /// object); `None` when the field cannot be given without the request.
    fn field(&self, name: &str, below: &Below<'_>) -> Option<Value>;

    /// Everything this object's text depends on besides the selection set, when that is known
    /// and fixed: its text may then be kept in [`Rendered`] and copied. `None`: written anew.
    fn identity(&self) -> Option<Identity> {
        None
    }
}

/// What an object's text depends on: a row of one read-model snapshot (by address: the
/// snapshot keeps its rows, and a later snapshot has another serial), on one day.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Identity {
    /// The snapshot's serial (`readmodel::Snapshot::serial`, never 0 for a served one).
    pub snapshot: u64,
    /// The row's address in that snapshot.
    pub row: usize,
    /// The day the object is shown for (days since the common era).
    pub day: i32,
}

/// Where a kept text belongs: a document (its serial in the document cache), one selection
/// set in it (its position), and the object.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    doc: u64,
    line: usize,
    column: usize,
    item: Identity,
}

#[derive(Clone)]
struct TextWeight;

impl quick_cache::Weighter<Key, Bytes> for TextWeight {
    fn weight(&self, _k: &Key, v: &Bytes) -> u64 {
        (v.len() + std::mem::size_of::<Key>() + 64) as u64
    }
}

/// The JSON text of objects written before, bounded in bytes (`quick_cache`'s S3-FIFO: an
/// entry of an old snapshot or document is never asked for again and goes first).
pub struct Rendered {
    cache: quick_cache::sync::Cache<Key, Bytes, TextWeight>,
}

/// The bytes [`Rendered`] may hold: every hit of the demo data with issue 21's fields is 385 KB
/// a document (`benches/README.md`), so this holds all of Denmark for some 40 documents.
pub const RENDERED_CACHE_BYTES: u64 = 16 << 20;

impl Rendered {
    pub fn new(bytes: u64) -> Rendered {
        Rendered {
            cache: quick_cache::sync::Cache::with_weighter(8192, bytes, TextWeight),
        }
    }

    /// The bytes held (for `/metrics`).
    pub fn bytes(&self) -> u64 {
        self.cache.weight()
    }
}

/// Request data: the document that runs (its serial) and where its objects' texts are kept.
#[derive(Clone)]
pub struct Cached {
    pub rendered: Arc<Rendered>,
    pub doc: u64,
}

/// A selection set to write, with the document's fragments.
pub struct Below<'a> {
    set: &'a SelectionSet,
    /// Where `set` starts in the document (a kept text's key).
    pos: Pos,
    cached: Option<&'a Cached>,
    fragments: &'a HashMap<Name, Positioned<FragmentDefinition>>,
    /// The list's JSON text, written in place: an object below is written where it goes rather
    /// than into a buffer of its own that its parent would copy (each level once more).
    out: &'a RefCell<Vec<u8>>,
}

/// What [`Below::object`] and [`Below::list`] give their field: the text is written already.
/// Empty text is never JSON, so it cannot be mistaken for a value.
const WRITTEN: Value = Value::Binary(Bytes::new());

impl<'a> Below<'a> {
    /// The object `v` with the fields of this selection set, written in place.
    pub fn object<T: Direct>(&self, v: &T) -> Option<Value> {
        self.write_object(v)?;
        Some(WRITTEN)
    }

    /// An object that may be null.
    pub fn optional<T: Direct>(&self, v: Option<&T>) -> Option<Value> {
        v.map_or(Some(Value::Null), |v| self.object(v))
    }

    /// A list of objects, written in place.
    pub fn list<T: Direct>(&self, items: &[T]) -> Option<Value> {
        self.write_list(items)?;
        Some(WRITTEN)
    }

    fn push(&self, text: &[u8]) {
        self.out.borrow_mut().extend_from_slice(text);
    }

    fn write_list<T: Direct>(&self, items: &[T]) -> Option<()> {
        self.push(b"[");
        for (i, v) in items.iter().enumerate() {
            if i > 0 {
                self.push(b",");
            }
            self.write_object(v)?;
        }
        self.push(b"]");
        Some(())
    }

    fn write_object<T: Direct>(&self, v: &T) -> Option<()> {
        let kept = self.cached.zip(v.identity()).map(|(c, item)| {
            let key = Key {
                doc: c.doc,
                line: self.pos.line,
                column: self.pos.column,
                item,
            };
            (c, key)
        });
        if let Some((c, key)) = &kept {
            if let Some(text) = c.rendered.cache.get(key) {
                self.push(&text);
                return Some(());
            }
        }
        let start = self.out.borrow().len();
        // The response keys written so far: an object has a handful, so a list beats a map.
        let mut keys: Vec<&Name> = Vec::with_capacity(self.set.items.len());
        self.push(b"{");
        self.collect(v, self.set, &mut keys)?;
        self.push(b"}");
        if let Some((c, key)) = kept {
            let text = Bytes::copy_from_slice(&self.out.borrow()[start..]);
            c.rendered.cache.insert(key, text);
        }
        Some(())
    }

    fn collect<T: Direct>(
        &self,
        v: &T,
        set: &'a SelectionSet,
        keys: &mut Vec<&'a Name>,
    ) -> Option<()> {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(f) => {
                    let f: &Field = &f.node;
                    if !f.arguments.is_empty() || !f.directives.is_empty() {
                        return None;
                    }
                    // async-graphql merges a key asked twice; that is its way's to do.
                    let key = &f.response_key().node;
                    if keys.contains(&key) {
                        return None;
                    }
                    {
                        // A GraphQL name is `[_A-Za-z][_0-9A-Za-z]*`: nothing in it to escape.
                        // The key goes first: a field that cannot be written sends the whole
                        // list the usual way, so what is written then does not matter.
                        let mut out = self.out.borrow_mut();
                        if !keys.is_empty() {
                            out.push(b',');
                        }
                        out.push(b'"');
                        out.extend_from_slice(key.as_bytes());
                        out.extend_from_slice(b"\":");
                    }
                    keys.push(key);
                    let value = if f.name.node == "__typename" {
                        Value::String(v.introspection_type_name().into_owned())
                    } else {
                        let below = Below {
                            set: &f.selection_set.node,
                            pos: f.selection_set.pos,
                            cached: self.cached,
                            fragments: self.fragments,
                            out: self.out,
                        };
                        v.field(&f.name.node, &below)?
                    };
                    if !matches!(&value, Value::Binary(b) if b.is_empty()) {
                        serde_json::to_writer(&mut *self.out.borrow_mut(), &value).ok()?;
                    }
                }
                Selection::InlineFragment(fragment) => {
                    let fragment = &fragment.node;
                    let applies = fragment
                        .type_condition
                        .as_ref()
                        .is_none_or(|c| c.node.on.node == *T::type_name());
                    if !applies || !fragment.directives.is_empty() {
                        return None;
                    }
                    self.collect(v, &fragment.selection_set.node, keys)?;
                }
                Selection::FragmentSpread(spread) => {
                    let fragment = &self.fragments.get(&spread.node.fragment_name.node)?.node;
                    if fragment.type_condition.node.on.node != *T::type_name()
                        || !spread.node.directives.is_empty()
                    {
                        return None;
                    }
                    self.collect(v, &fragment.selection_set.node, keys)?;
                }
            }
        }
        Some(())
    }
}

/// Request data: the response will be serialized with [`to_json_text`], so a directly written
/// list may stay JSON text. Without it (a query over WebSocket, a test's `Schema::execute`) the
/// text is parsed back into values, which any serializer writes alike.
///
/// Why text: a hit written as async-graphql `Value`s is an `IndexMap` per object, a SipHash and
/// a `Name` clone per key, a walk to put the keys in order, one to serialize and one to drop;
/// the text is written once, in selection order (issue 21's figures, `benches/README.md`).
/// async-graphql has no raw-JSON value; its `Binary` is the one variant no field of this schema
/// gives, and serde_json lets a formatter write bytes as it likes.
#[derive(Clone, Copy)]
pub struct JsonText;

/// Serializes a response (or several) with the lists written as [`JsonText`] in place.
pub fn to_json_text<T: serde::Serialize + ?Sized>(v: &T) -> serde_json::Result<Vec<u8>> {
    struct Raw;
    impl serde_json::ser::Formatter for Raw {
        fn write_byte_array<W: ?Sized + std::io::Write>(
            &mut self,
            writer: &mut W,
            value: &[u8],
        ) -> std::io::Result<()> {
            writer.write_all(value)
        }
    }
    let mut out = Vec::with_capacity(4096);
    v.serialize(&mut serde_json::Serializer::with_formatter(&mut out, Raw))?;
    Ok(out)
}

/// A scalar's value, as async-graphql would give it.
pub fn scalar<S: ScalarType>(s: &S) -> Value {
    s.to_value()
}

/// A text's value.
pub fn text(s: &str) -> Value {
    Value::String(s.to_owned())
}

/// A value that may be null.
pub fn nullable<T>(v: Option<T>, f: impl FnOnce(T) -> Value) -> Value {
    v.map_or(Value::Null, f)
}

/// An enum's value. Its name is interned per thread: a `Name` is an `Arc<str>`, and a page
/// writes a few enums per hit; a kept one costs a reference count where a new one costs an
/// allocation and its free (issue 21's figures, `benches/README.md`).
pub fn enumeration<E: EnumType>(e: E) -> Value {
    thread_local! {
        static NAMES: RefCell<Vec<(usize, Name)>> = const { RefCell::new(Vec::new()) };
    }
    let Some(item) = E::items().iter().find(|i| i.value == e) else {
        return enum_value(e);
    };
    // The schema's enum names are `&'static str`s: their address names them.
    let key = item.name.as_ptr() as usize;
    NAMES.with(|names| {
        let mut names = names.borrow_mut();
        if let Some((_, n)) = names.iter().find(|(k, _)| *k == key) {
            return Value::Enum(n.clone());
        }
        let n = Name::new(item.name);
        // The schema has a few dozen enum values; the bound only guards against surprises.
        if names.len() < 256 {
            names.push((key, n.clone()));
        }
        Value::Enum(n)
    })
}

/// A list the schema shows as `[T!]!`, whose items are written directly when they can be.
pub struct DirectList<T>(pub Vec<T>);

impl<T: Direct> OutputType for DirectList<T> {
    fn type_name() -> Cow<'static, str> {
        Vec::<T>::type_name()
    }

    fn qualified_type_name() -> String {
        Vec::<T>::qualified_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        Vec::<T>::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        let text = {
            let out = RefCell::new(Vec::with_capacity(1024 * self.0.len()));
            let below = Below {
                set: &ctx.item.node,
                pos: ctx.item.pos,
                cached: ctx.data_opt::<Cached>(),
                fragments: &ctx.query_env.fragments,
                out: &out,
            };
            below.write_list(&self.0).map(|()| out.into_inner())
        };
        if let Some(text) = text {
            if ctx.data_opt::<JsonText>().is_some() {
                return Ok(Value::Binary(text.into()));
            }
            if let Ok(v) = serde_json::from_slice::<Value>(&text) {
                return Ok(v);
            }
        }
        // Every item the usual way, concurrently (so DataLoaders batch across them).
        resolve_list(ctx, field, &self.0, Some(self.0.len())).await
    }
}

/// The fields of `T`'s GraphQL type that `v` does not give directly (for the tests that keep
/// the `Direct` impls complete: a field added to a type, or a name misspelt in its `Direct`
/// impl, would silently send every page async-graphql's way).
#[cfg(test)]
pub fn not_direct<T: Direct>(v: &T) -> Vec<String> {
    use async_graphql::registry::MetaType;
    let mut registry = Registry::default();
    let MetaType::Object { fields, .. } = registry.create_fake_output_type::<T>() else {
        return vec![format!("{} is not an object", T::type_name())];
    };
    let (set, fragments) = (SelectionSet::default(), HashMap::new());
    let out = RefCell::new(Vec::new());
    let below = Below {
        set: &set,
        pos: Pos::default(),
        cached: None,
        fragments: &fragments,
        out: &out,
    };
    fields
        .keys()
        .filter(|name| v.field(name, &below).is_none())
        .cloned()
        .collect()
}
