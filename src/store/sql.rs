//! The thin layer between the store's queries and its two databases. Every query is written once,
//! in the SQL both SQLite and PostgreSQL accept (`?1` placeholders, `ON CONFLICT … DO`,
//! `RETURNING`, `COALESCE`), against [`Db`]; each backend runs it as its driver wants (PostgreSQL
//! gets `$1` placeholders, see [`postgres_placeholders`]). Values cross the layer as [`Value`], so
//! a row read from either database is read by the same code.

use super::{Result, StoreError};

/// The kind of a value, kept on a NULL too: PostgreSQL types every parameter, even a NULL one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Int,
    Real,
    Text,
    Blob,
}

/// A parameter or a column value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null(Kind),
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

/// A type a parameter can be made of. Booleans are stored as 0/1 in both databases.
pub trait ToValue {
    fn to_value(&self) -> Value;
    /// What a `None` of this type binds as.
    const KIND: Kind;
}

macro_rules! int_values {
    ($($t:ty),*) => {$(
        impl ToValue for $t {
            const KIND: Kind = Kind::Int;
            fn to_value(&self) -> Value {
                // Every integer the store keeps (ids, counts, row numbers, sizes, milliseconds)
                // fits i64 by far; saturating keeps a corrupt u64 from wrapping negative.
                Value::Int(i64::try_from(*self).unwrap_or(i64::MAX))
            }
        }
    )*};
}
int_values!(i64, i32, u32, u64, usize, u16, u8);

impl ToValue for bool {
    const KIND: Kind = Kind::Int;
    fn to_value(&self) -> Value {
        Value::Int(i64::from(*self))
    }
}

impl ToValue for f64 {
    const KIND: Kind = Kind::Real;
    fn to_value(&self) -> Value {
        Value::Real(*self)
    }
}

impl ToValue for f32 {
    const KIND: Kind = Kind::Real;
    fn to_value(&self) -> Value {
        Value::Real(f64::from(*self))
    }
}

impl ToValue for str {
    const KIND: Kind = Kind::Text;
    fn to_value(&self) -> Value {
        Value::Text(self.to_owned())
    }
}

impl ToValue for String {
    const KIND: Kind = Kind::Text;
    fn to_value(&self) -> Value {
        Value::Text(self.clone())
    }
}

impl ToValue for [u8] {
    const KIND: Kind = Kind::Blob;
    fn to_value(&self) -> Value {
        Value::Blob(self.to_vec())
    }
}

impl ToValue for Vec<u8> {
    const KIND: Kind = Kind::Blob;
    fn to_value(&self) -> Value {
        Value::Blob(self.clone())
    }
}

impl<T: ToValue + ?Sized> ToValue for &T {
    const KIND: Kind = T::KIND;
    fn to_value(&self) -> Value {
        (**self).to_value()
    }
}

impl<T: ToValue> ToValue for Option<T> {
    const KIND: Kind = T::KIND;
    fn to_value(&self) -> Value {
        self.as_ref().map_or(Value::Null(T::KIND), ToValue::to_value)
    }
}

/// `params![a, b, c]`: the parameters of a query, `?1`, `?2`, `?3`.
macro_rules! params {
    ($($value:expr),* $(,)?) => {
        &[$($crate::store::sql::ToValue::to_value(&$value)),*][..]
    };
}
pub(crate) use params;

/// One result row.
#[derive(Debug, Clone)]
pub struct Row(pub(super) Vec<Value>);

impl Row {
    /// Column `index` (from 0) as a `T`; a NULL or a value of another kind is a typed error.
    pub fn get<T: FromValue>(&self, index: usize) -> Result<T> {
        let value = self.0.get(index).ok_or_else(|| StoreError::Corrupt(format!("no column {index}")))?;
        T::from_value(value).ok_or_else(|| {
            StoreError::Corrupt(format!("column {index} holds {value:?}, not a {}", std::any::type_name::<T>()))
        })
    }
}

/// A type a column can be read as.
pub trait FromValue: Sized {
    fn from_value(value: &Value) -> Option<Self>;
}

macro_rules! int_columns {
    ($($t:ty),*) => {$(
        impl FromValue for $t {
            fn from_value(value: &Value) -> Option<Self> {
                match value {
                    Value::Int(n) => <$t>::try_from(*n).ok(),
                    _ => None,
                }
            }
        }
    )*};
}
int_columns!(i64, i32, u32, u64, usize);

impl FromValue for bool {
    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::Int(n) => Some(*n != 0),
            _ => None,
        }
    }
}

impl FromValue for f64 {
    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::Real(x) => Some(*x),
            // SQLite hands back a REAL column holding a whole number as an integer.
            Value::Int(n) => Some(*n as f64),
            _ => None,
        }
    }
}

impl FromValue for f32 {
    fn from_value(value: &Value) -> Option<Self> {
        f64::from_value(value).map(|x| x as f32)
    }
}

impl FromValue for String {
    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::Text(text) => Some(text.clone()),
            _ => None,
        }
    }
}

impl FromValue for Vec<u8> {
    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::Blob(bytes) => Some(bytes.clone()),
            _ => None,
        }
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::Null(_) => Some(None),
            other => T::from_value(other).map(Some),
        }
    }
}

/// A connection or an open transaction on either database.
pub trait Db {
    /// Runs one statement; the number of rows it changed.
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64>;
    /// Runs one query; all its rows.
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>>;
}

impl dyn Db + '_ {
    /// Every row, each read by `read`.
    pub fn query_map<T>(&mut self, sql: &str, params: &[Value], read: impl FnMut(&Row) -> Result<T>) -> Result<Vec<T>> {
        self.query(sql, params)?.iter().map(read).collect()
    }

    /// The first row read by `read`, `None` when there is none.
    pub fn query_opt<T>(
        &mut self,
        sql: &str,
        params: &[Value],
        read: impl FnOnce(&Row) -> Result<T>,
    ) -> Result<Option<T>> {
        self.query(sql, params)?.first().map(read).transpose()
    }

    /// The first row read by `read`; no row is an error naming the query.
    pub fn query_one<T>(&mut self, sql: &str, params: &[Value], read: impl FnOnce(&Row) -> Result<T>) -> Result<T> {
        self.query_opt(sql, params, read)?
            .ok_or_else(|| StoreError::Corrupt(format!("expected a row from: {}", sql.trim())))
    }
}

#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
/// `?1` → `$1` (and a bare `?` → the next number), outside quoted strings: the one difference of
/// text between the two dialects the queries keep.
pub fn postgres_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.chars().peekable();
    let mut in_string = false;
    let mut next_bare = 1;
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_string = !in_string;
                out.push(c);
            }
            '?' if !in_string => {
                out.push('$');
                if chars.peek().is_some_and(char::is_ascii_digit) {
                    while let Some(digit) = chars.next_if(char::is_ascii_digit) {
                        out.push(digit);
                    }
                } else {
                    out.push_str(&next_bare.to_string());
                    next_bare += 1;
                }
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_numbered_dollars_outside_strings() {
        assert_eq!(postgres_placeholders("SELECT ?1, ?12 WHERE a = '?3'"), "SELECT $1, $12 WHERE a = '?3'");
        assert_eq!(postgres_placeholders("VALUES (?, ?)"), "VALUES ($1, $2)");
    }

    #[test]
    fn params_keep_the_kind_of_a_null() {
        let none: Option<&str> = None;
        let values = params![1_u32, none, Some(2.5_f64), true, "x"];
        assert_eq!(
            values,
            &[Value::Int(1), Value::Null(Kind::Text), Value::Real(2.5), Value::Int(1), Value::Text("x".into())]
        );
    }

    #[test]
    fn columns_read_as_their_type_or_say_why_not() {
        let row = Row(vec![Value::Int(7), Value::Null(Kind::Text), Value::Text("a".into())]);
        assert_eq!(row.get::<u32>(0).unwrap(), 7);
        assert_eq!(row.get::<Option<String>>(1).unwrap(), None);
        assert!(row.get::<String>(1).is_err());
        assert!(row.get::<i64>(2).unwrap_err().to_string().contains("column 2"));
    }
}
