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
use async_graphql::indexmap::{map::Entry, IndexMap};
use async_graphql::parser::types::{Field, FragmentDefinition, Selection, SelectionSet};
use async_graphql::registry::Registry;
use async_graphql::resolver_utils::{enum_value, resolve_list, EnumType};
use async_graphql::{
    ContextSelectionSet, Name, OutputType, Positioned, ScalarType, ServerResult, Value,
};
use std::borrow::Cow;
use std::collections::HashMap;

/// A type whose fields (most of them) are data in memory.
pub trait Direct: OutputType {
    /// The value of the field `name`, with `below` the field's own selection set (for an
    /// object); `None` when the field cannot be given without the request.
    fn field(&self, name: &str, below: &Below<'_>) -> Option<Value>;
}

/// A selection set to write, with the document's fragments.
pub struct Below<'a> {
    set: &'a SelectionSet,
    fragments: &'a HashMap<Name, Positioned<FragmentDefinition>>,
}

impl Below<'_> {
    /// The object `v` with the fields of this selection set.
    pub fn object<T: Direct>(&self, v: &T) -> Option<Value> {
        let mut map = IndexMap::with_capacity(self.set.items.len());
        self.collect(v, self.set, &mut map)?;
        Some(Value::Object(map))
    }

    /// An object that may be null.
    pub fn optional<T: Direct>(&self, v: Option<&T>) -> Option<Value> {
        v.map_or(Some(Value::Null), |v| self.object(v))
    }

    /// A list of objects.
    pub fn list<T: Direct>(&self, items: &[T]) -> Option<Value> {
        items
            .iter()
            .map(|v| self.object(v))
            .collect::<Option<Vec<Value>>>()
            .map(Value::List)
    }

    fn collect<T: Direct>(
        &self,
        v: &T,
        set: &SelectionSet,
        map: &mut IndexMap<Name, Value>,
    ) -> Option<()> {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(f) => {
                    let f: &Field = &f.node;
                    if !f.arguments.is_empty() || !f.directives.is_empty() {
                        return None;
                    }
                    let value = if f.name.node == "__typename" {
                        Value::String(v.introspection_type_name().into_owned())
                    } else {
                        let below = Below {
                            set: &f.selection_set.node,
                            fragments: self.fragments,
                        };
                        v.field(&f.name.node, &below)?
                    };
                    match map.entry(f.response_key().node.clone()) {
                        Entry::Vacant(e) => {
                            e.insert(value);
                        }
                        Entry::Occupied(_) => return None,
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
                    self.collect(v, &fragment.selection_set.node, map)?;
                }
                Selection::FragmentSpread(spread) => {
                    let fragment = &self.fragments.get(&spread.node.fragment_name.node)?.node;
                    if fragment.type_condition.node.on.node != *T::type_name()
                        || !spread.node.directives.is_empty()
                    {
                        return None;
                    }
                    self.collect(v, &fragment.selection_set.node, map)?;
                }
            }
        }
        Some(())
    }
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
    use std::cell::RefCell;
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
        let below = Below {
            set: &ctx.item.node,
            fragments: &ctx.query_env.fragments,
        };
        let direct: Option<Vec<Value>> = self.0.iter().map(|item| below.object(item)).collect();
        match direct {
            Some(items) => Ok(Value::List(items)),
            // Every item the usual way, concurrently (so DataLoaders batch across them).
            None => resolve_list(ctx, field, &self.0, Some(self.0.len())).await,
        }
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
    let below = Below {
        set: &set,
        fragments: &fragments,
    };
    fields
        .keys()
        .filter(|name| v.field(name, &below).is_none())
        .cloned()
        .collect()
}
