//! Values that edits write: plain data, rendered in the file's own style.

/// A value to write into a document. Mappings keep their order.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Value>),
    Map(Vec<(String, Value)>),
    /// A collection to write in flow style (`["CMD", "pg_isready"]`) even in block context.
    Flow(Box<Value>),
}

impl Value {
    pub fn str(s: impl Into<String>) -> Self {
        Value::Str(s.into())
    }

    pub fn map<K: Into<String>>(entries: impl IntoIterator<Item = (K, Value)>) -> Self {
        Value::Map(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    pub fn is_collection(&self) -> bool {
        matches!(self, Value::Seq(_) | Value::Map(_))
    }

    /// The equivalent value as the verifying parser would load it.
    pub fn to_yaml(&self) -> yaml_serde::Value {
        use yaml_serde::Value as Y;
        match self {
            Value::Null => Y::Null,
            Value::Bool(b) => Y::Bool(*b),
            Value::Int(n) => Y::Number((*n).into()),
            Value::Float(x) => Y::Number((*x).into()),
            Value::Str(s) => Y::String(s.clone()),
            Value::Seq(items) => Y::Sequence(items.iter().map(Value::to_yaml).collect()),
            Value::Flow(inner) => inner.to_yaml(),
            Value::Map(entries) => Y::Mapping(
                entries
                    .iter()
                    .map(|(k, v)| (Y::String(k.clone()), v.to_yaml()))
                    .collect(),
            ),
        }
    }

    /// Converts loaded data (e.g. from a policy file) into a value to write.
    pub fn from_yaml(value: &yaml_serde::Value) -> Value {
        use yaml_serde::Value as Y;
        match value {
            Y::Null => Value::Null,
            Y::Bool(b) => Value::Bool(*b),
            Y::Number(n) => n
                .as_i64()
                .map(Value::Int)
                .unwrap_or_else(|| Value::Float(n.as_f64().unwrap_or(0.0))),
            Y::String(s) => Value::Str(s.clone()),
            Y::Sequence(items) => Value::Seq(items.iter().map(Value::from_yaml).collect()),
            Y::Mapping(map) => Value::Map(
                map.iter()
                    .map(|(k, v)| (scalar_key(k), Value::from_yaml(v)))
                    .collect(),
            ),
            Y::Tagged(tagged) => Value::from_yaml(&tagged.value),
        }
    }
}

/// The text of a scalar mapping key as written by a serializer.
pub fn scalar_key(key: &yaml_serde::Value) -> String {
    use yaml_serde::Value as Y;
    match key {
        Y::String(s) => s.clone(),
        Y::Number(n) => n.to_string(),
        Y::Bool(b) => b.to_string(),
        Y::Null => "null".into(),
        other => yaml_serde::to_string(other)
            .unwrap_or_default()
            .trim()
            .to_string(),
    }
}
