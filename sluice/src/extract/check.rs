//! The build-time checks of [`Query`](super::Query), [`Headers`](super::Headers)
//! and [`Path`](super::Path): whether a type can ever be read from its
//! source, found from its [`Shape`], with a message that shows the fix.
//!
//! After these checks, a failure to deserialize query parameters or headers
//! comes from the client's input (a 422), never from how the extractor was
//! typed.

use schemars::JsonSchema;
use serde::de::DeserializeOwned;

use super::shape::{required_fields, shape_of, Shape};
use super::upload::{is_file_field, UPLOAD_FILE};

/// Checks that `Query<T>` can read named query parameters: `T` is a
/// struct or a map (or an `Option` or newtype of one) whose values are
/// text, numbers, enums, or lists or options of those.
pub(crate) fn check_query<T: DeserializeOwned>() -> Result<(), String> {
    check_named::<T>(&QUERY)
}

/// Checks that `Form<T>` can read named form fields, as [`check_query`]
/// does for query parameters.
pub(crate) fn check_form<T: DeserializeOwned>() -> Result<(), String> {
    check_named::<T>(&FORM)
}

/// Checks that `Headers<T>` can read named headers, as
/// [`check_query`] does for query parameters; a struct's field names must
/// also be ones a header can have.
pub(crate) fn check_headers<T: DeserializeOwned>() -> Result<(), String> {
    check_named::<T>(&HEADERS)
}

/// Checks that `Cookies<T>` reads named cookies, each one value.
pub(crate) fn check_cookies<T: DeserializeOwned>() -> Result<(), String> {
    check_named::<T>(&COOKIES)
}

/// Checks that `Path<T>` fits a route with these parameters: a single
/// value needs exactly one, a tuple as many as the route has, and a
/// struct's required fields must each name one.
pub(crate) fn check_path<T: DeserializeOwned>(params: &[&str]) -> Result<(), String> {
    let ty = format!("Path<{}>", short_type_name::<T>());
    let shape = shape_of::<T>();
    check_path_shape(&shape, params, &ty, &|| required_fields::<T>())
}

/// A source of named values and the words its messages use.
struct Named {
    extractor: &'static str,
    /// "query parameters", "headers".
    plural: &'static str,
    /// "a query parameter", "a header".
    one: &'static str,
    example_struct: &'static str,
    example_field: &'static str,
    /// Headers are read lower-case with `-` as `_`: field names with other
    /// characters can never match.
    lower_snake_fields: bool,
    /// Each name has one value (a cookie): a `Vec` could never be read.
    single_values: bool,
    /// It may hold files ([`UploadFile`](super::UploadFile) fields).
    files: bool,
}

const QUERY: Named = Named {
    extractor: "Query",
    plural: "query parameters",
    one: "a query parameter",
    example_struct: "Params",
    example_field: "q",
    lower_snake_fields: false,
    single_values: false,
    files: false,
};

const FORM: Named = Named {
    extractor: "Form",
    plural: "form fields",
    one: "a form field",
    example_struct: "Fields",
    example_field: "username",
    lower_snake_fields: false,
    single_values: false,
    files: true,
};

const HEADERS: Named = Named {
    extractor: "Headers",
    plural: "headers",
    one: "a header",
    example_struct: "RequestHeaders",
    example_field: "user_agent",
    lower_snake_fields: true,
    single_values: false,
    files: false,
};

const COOKIES: Named = Named {
    extractor: "Cookies",
    plural: "cookies",
    one: "a cookie",
    example_struct: "RequestCookies",
    example_field: "session_id",
    lower_snake_fields: false,
    single_values: true,
    files: false,
};

fn check_named<T: DeserializeOwned>(source: &Named) -> Result<(), String> {
    let inner = short_type_name::<T>();
    let ty = format!("{}<{inner}>", source.extractor);
    let shape = shape_of::<T>();
    if is_file_field(&shape) {
        return Err(format!(
            "{ty}: an UploadFile is a field of a form; declare a struct with it \
             (#[derive(Deserialize, JsonSchema)] struct Upload {{ file: UploadFile }}) \
             and read it with Form<Upload>"
        ));
    }
    match shape.unwrapped() {
        Shape::Struct { fields, .. } => {
            for (name, field) in fields {
                if is_file_field(field) {
                    if source.files {
                        continue;
                    }
                    return Err(format!(
                        "{ty}: field `{name}` is an UploadFile, which only a multipart form \
                         sends; read it with Form<T>"
                    ));
                }
                if source.lower_snake_fields && !is_header_field(name) {
                    return Err(format!(
                        "{ty}: field `{name}` can never match a header: headers are read \
                         lower-case with `-` as `_`; name the field `{}`",
                        name.to_ascii_lowercase().replace('-', "_")
                    ));
                }
                if source.single_values && field.is_sequence() {
                    return Err(format!(
                        "{ty}: field `{name}` is a list, but {} has one value (of one sent \
                         twice, the last counts); make it a single value",
                        source.one
                    ));
                }
                if let Some(what) = nested(field) {
                    return Err(format!(
                        "{ty}: field `{name}` is {what}, but {} is text (a Vec field \
                         collects repeated ones); declare its fields in {inner} itself",
                        source.one
                    ));
                }
            }
            Ok(())
        }
        Shape::Map(value) if is_file_field(value) => Err(format!(
            "{ty}: files are read into named UploadFile fields of a struct; a map cannot \
             hold them"
        )),
        Shape::Map(value) if source.single_values && value.is_sequence() => Err(format!(
            "{ty}: each value is a list, but {} has one value; use a map of String",
            source.one
        )),
        Shape::Map(value) => match nested(value) {
            Some(what) => Err(format!(
                "{ty}: each value is {what}, but {} is text; use a map of String \
                 (or Vec<String>, to keep repeated ones)",
                source.one
            )),
            None => Ok(()),
        },
        Shape::Any | Shape::Unit | Shape::Unknown => Ok(()),
        _ => Err(format!(
            "{ty} cannot read named {}; declare a struct: #[derive(Deserialize, JsonSchema)] struct {s} {{ {} }} \
             and use {}<{s}>",
            source.plural,
            suggested_fields(&inner, source.example_field),
            source.extractor,
            s = source.example_struct,
        )),
    }
}

/// Why a value read from one parameter's text (or texts) cannot take this
/// shape: it holds a struct or a map somewhere.
fn nested(shape: &Shape) -> Option<String> {
    match shape {
        Shape::Struct { name, .. } => Some(format!("a struct ({name})")),
        Shape::Map(_) => Some("a map".to_owned()),
        Shape::Option(inner) | Shape::Newtype(_, inner) | Shape::Seq(inner) => nested(inner),
        Shape::Tuple { elements, .. } => elements.iter().find_map(nested),
        Shape::Scalar(_) | Shape::Any | Shape::Unit | Shape::Enum { .. } | Shape::Unknown => None,
    }
}

fn is_header_field(name: &str) -> bool {
    name.bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// The fields of the struct to suggest for a type that is no struct: one
/// per tuple position, or one holding the type itself.
fn suggested_fields(ty: &str, example: &str) -> String {
    let Some(positions) = ty.strip_prefix('(').and_then(|t| t.strip_suffix(')')) else {
        return format!("{example}: {ty}");
    };
    split_top_level(positions)
        .iter()
        .filter(|t| !t.is_empty())
        .zip(b'a'..=b'z')
        .map(|(t, name)| format!("{}: {t}", name as char))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Splits at the commas outside any brackets.
fn split_top_level(list: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in list.char_indices() {
        match c {
            '<' | '(' | '[' => depth += 1,
            '>' | ')' | ']' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(list[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(list[start..].trim());
    parts
}

fn check_path_shape(
    shape: &Shape,
    params: &[&str],
    ty: &str,
    required: &dyn Fn() -> Option<Vec<&'static str>>,
) -> Result<(), String> {
    let listed = list_params(params);
    match shape {
        Shape::Newtype(_, inner) => check_path_shape(inner, params, ty, required),
        // `None` when the route has no parameters.
        Shape::Option(_) if params.is_empty() => Ok(()),
        Shape::Option(inner) => check_path_shape(inner, params, ty, required),
        Shape::Scalar(_) | Shape::Enum { .. } => match params.len() {
            1 => Ok(()),
            0 => Err(format!(
                "{ty} reads one route parameter, but the route has none; add one to the \
                 route's path (e.g. \"/items/{{item_id}}\") or remove the Path argument"
            )),
            n => Err(format!(
                "{ty} reads one route parameter, but the route has {n}: {listed}; read them \
                 by position with a tuple of {n} (e.g. Path<({})>) or by name with a struct \
                 whose fields are {}",
                vec!["String"; n].join(", "),
                params.join(", ")
            )),
        },
        Shape::Tuple { elements, .. } => {
            let n = elements.len();
            if n != params.len() {
                let fix = match params.len() {
                    0 => {
                        "remove the Path argument, or add parameters to the route's path".to_owned()
                    }
                    1 => "read it with Path<T> for a single value".to_owned(),
                    m => format!(
                        "use a tuple of {m}, or a struct whose fields are {}",
                        params.join(", ")
                    ),
                };
                let has = if params.is_empty() {
                    "none".to_owned()
                } else {
                    format!("{}: {listed}", params.len())
                };
                return Err(format!(
                    "{ty} reads {n} route parameter{} by position, but the route has {has}; {fix}",
                    if n == 1 { "" } else { "s" }
                ));
            }
            match elements.iter().find_map(nested) {
                Some(what) => Err(format!(
                    "{ty}: a position is {what}, but a route parameter is text"
                )),
                None => Ok(()),
            }
        }
        Shape::Seq(element) => match nested(element) {
            Some(what) => Err(format!(
                "{ty}: each element is {what}, but a route parameter is text"
            )),
            None => Ok(()),
        },
        Shape::Map(value) => match nested(value) {
            Some(what) => Err(format!(
                "{ty}: each value is {what}, but a route parameter is text"
            )),
            None => Ok(()),
        },
        Shape::Struct { fields, .. } => {
            for field in required().unwrap_or_default() {
                if !params.contains(&field) {
                    let has = if params.is_empty() {
                        "no parameters".to_owned()
                    } else {
                        listed.clone()
                    };
                    let rename = match params.first() {
                        Some(p) => format!(" (#[serde(rename = \"{p}\")])"),
                        None => String::new(),
                    };
                    return Err(format!(
                        "{ty} needs the route parameter {{{field}}} for its field `{field}`, \
                         but the route has {has}; add {{{field}}} to the route's path, name the \
                         field after a parameter the route has{rename}, or make it an Option"
                    ));
                }
            }
            for (name, field) in fields {
                if params.contains(name) {
                    if let Some(what) = nested(field) {
                        return Err(format!(
                            "{ty}: field `{name}` is {what}, but a route parameter is text"
                        ));
                    }
                }
            }
            Ok(())
        }
        Shape::Any | Shape::Unit | Shape::Unknown => Ok(()),
    }
}

fn list_params(params: &[&str]) -> String {
    params
        .iter()
        .map(|p| format!("{{{p}}}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `T`'s name as a user writes it: `Option<String>`, not
/// `core::option::Option<alloc::string::String>`.
pub(crate) fn short_type_name<T: ?Sized>() -> String {
    let full = std::any::type_name::<T>();
    let mut out = String::with_capacity(full.len());
    // Where the path being read started in `out`: a `::` drops it.
    let mut path_start = 0;
    let mut chars = full.chars().peekable();
    while let Some(c) = chars.next() {
        if c == ':' && chars.peek() == Some(&':') {
            chars.next();
            out.truncate(path_start);
        } else if c.is_alphanumeric() || matches!(c, '_' | '{' | '}') {
            // Braces belong to segments such as `{{closure}}`.
            out.push(c);
        } else {
            out.push(c);
            path_start = out.len();
        }
    }
    out
}

/// Refuses a body type that holds an [`UploadFile`](super::UploadFile):
/// files come in a multipart form, read with `Form<T>`; in any other body
/// every request would be a 422.
pub(crate) fn check_no_upload<T: DeserializeOwned>(extractor: &str) -> Result<(), String> {
    fn holds_upload(shape: &Shape) -> bool {
        match shape {
            Shape::Newtype(name, inner) => *name == UPLOAD_FILE || holds_upload(inner),
            Shape::Option(inner) | Shape::Seq(inner) | Shape::Map(inner) => holds_upload(inner),
            Shape::Struct { fields, .. } => fields.iter().any(|(_, field)| holds_upload(field)),
            Shape::Tuple { elements, .. } => elements.iter().any(holds_upload),
            Shape::Scalar(_) | Shape::Any | Shape::Unit | Shape::Enum { .. } | Shape::Unknown => {
                false
            }
        }
    }
    if holds_upload(&shape_of::<T>()) {
        return Err(format!(
            "{extractor}<{}> holds an UploadFile, which only a multipart form sends; \
             read it with Form<T>",
            short_type_name::<T>()
        ));
    }
    Ok(())
}

/// Checks that serde can read `T` without recursing forever: refuses a
/// type that leads back to itself through untagged alternatives (or a
/// newtype) without reading anything in between, such as
/// `#[serde(untagged)] enum V { Wrap(Box<V>), N(i64) }`. Given a value
/// that no alternative takes, serde's derive tries them again and again
/// until the thread's stack overflows, which aborts the whole server. In
/// `T`'s JSON Schema, such a loop is a `$ref` reached again through
/// `anyOf`, `oneOf` or `allOf` alone, without passing a field, an item or
/// a map value (where something is read before going on).
pub(crate) fn check_no_endless_recursion<T: JsonSchema + 'static>(
    extractor: &str,
) -> Result<(), String> {
    let schema = super::listing::schema_of::<T>();
    let defs = schema.get("$defs").and_then(serde_json::Value::as_object);
    let resolve = |reference: &str| -> Option<&serde_json::Value> {
        match reference {
            "#" => Some(&schema),
            other => defs?.get(other.strip_prefix("#/$defs/")?),
        }
    };
    let mut nodes: Vec<&str> = vec!["#"];
    let names: Vec<String> = defs
        .map(|defs| defs.keys().map(|name| format!("#/$defs/{name}")).collect())
        .unwrap_or_default();
    nodes.extend(names.iter().map(String::as_str));
    for start in nodes {
        let mut seen = vec![start];
        let mut stack: Vec<&serde_json::Value> = resolve(start).into_iter().collect();
        while let Some(node) = stack.pop() {
            let Some(object) = node.as_object() else {
                continue;
            };
            if let Some(reference) = object.get("$ref").and_then(serde_json::Value::as_str) {
                if reference == start {
                    let name = match start {
                        "#" => short_type_name::<T>(),
                        other => other.trim_start_matches("#/$defs/").to_owned(),
                    };
                    return Err(format!(
                        "{extractor}<{}>: `{name}` leads back to itself through its untagged \
                         variants (or a newtype) without reading anything, so on a value that \
                         none of them takes serde would try them without end and overflow the \
                         stack; tag the enum, or put the recursive variant's value in a struct \
                         or a list",
                        short_type_name::<T>()
                    ));
                }
                if !seen.contains(&reference) {
                    seen.push(reference);
                    stack.extend(resolve(reference));
                }
            }
            for key in ["anyOf", "oneOf", "allOf"] {
                if let Some(alternatives) = object.get(key).and_then(serde_json::Value::as_array) {
                    stack.extend(alternatives);
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use serde::Deserialize;

    use super::*;

    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct Page {
        q: Option<String>,
        limit: u32,
        #[serde(default)]
        tags: Vec<String>,
    }

    #[derive(Deserialize)]
    #[allow(dead_code)]
    #[serde(rename_all = "lowercase")]
    enum Model {
        Alexnet,
        Resnet,
    }

    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct Id(u64);

    #[test]
    fn type_names_read_as_written() {
        assert_eq!(short_type_name::<Option<String>>(), "Option<String>");
        assert_eq!(
            short_type_name::<HashMap<String, Vec<u8>>>(),
            "HashMap<String, Vec<u8>>"
        );
        assert_eq!(short_type_name::<(String, i64)>(), "(String, i64)");
        assert_eq!(short_type_name::<Page>(), "Page");
        let local = || {
            #[allow(dead_code)]
            struct Local;
            short_type_name::<Option<Local>>()
        };
        assert_eq!(local(), "Option<Local>");
    }

    #[test]
    fn query_structs_and_maps_of_text_values_pass() {
        assert_eq!(check_query::<Page>(), Ok(()));
        assert_eq!(check_query::<Option<Page>>(), Ok(()));
        assert_eq!(check_query::<HashMap<String, String>>(), Ok(()));
        assert_eq!(check_query::<HashMap<String, Vec<String>>>(), Ok(()));
        assert_eq!(check_query::<serde_json::Value>(), Ok(()));
        assert_eq!(check_query::<()>(), Ok(()));

        #[derive(Deserialize)]
        #[allow(dead_code)]
        struct Rich {
            model: Model,
            id: Option<Id>,
            range: Option<(u32, u32)>,
            #[serde(rename = "item-query")]
            item_query: String,
            any: serde_json::Value,
        }
        assert_eq!(check_query::<Rich>(), Ok(()));

        #[derive(Deserialize)]
        #[allow(dead_code)]
        struct Flat {
            a: String,
            #[serde(flatten)]
            rest: HashMap<String, String>,
        }
        assert_eq!(check_query::<Flat>(), Ok(()));
    }

    #[test]
    fn a_query_type_that_is_no_struct_is_refused_with_the_struct_to_write() {
        assert_eq!(
            check_query::<Option<String>>(),
            Err(
                "Query<Option<String>> cannot read named query parameters; declare a struct: \
                 #[derive(Deserialize, JsonSchema)] struct Params { q: Option<String> } and use Query<Params>"
                    .to_owned()
            )
        );
        assert_eq!(
            check_query::<String>().unwrap_err(),
            "Query<String> cannot read named query parameters; declare a struct: \
             #[derive(Deserialize, JsonSchema)] struct Params { q: String } and use Query<Params>"
        );
        assert_eq!(
            check_query::<(String, u32)>().unwrap_err(),
            "Query<(String, u32)> cannot read named query parameters; declare a struct: \
             #[derive(Deserialize, JsonSchema)] struct Params { a: String, b: u32 } and use Query<Params>"
        );
        for err in [
            check_query::<Vec<String>>(),
            check_query::<Model>(),
            check_query::<Id>(),
            check_query::<Option<i64>>(),
        ] {
            let err = err.unwrap_err();
            assert!(err.contains("cannot read named query parameters"), "{err}");
        }
        assert!(check_query::<Vec<String>>()
            .unwrap_err()
            .contains("struct Params { q: Vec<String> }"));
    }

    #[test]
    fn a_query_field_holding_a_struct_or_map_is_refused() {
        #[derive(Deserialize)]
        #[allow(dead_code)]
        struct Filter {
            page: Page,
        }
        assert_eq!(
            check_query::<Filter>().unwrap_err(),
            "Query<Filter>: field `page` is a struct (Page), but a query parameter is text \
             (a Vec field collects repeated ones); declare its fields in Filter itself"
        );
        #[derive(Deserialize)]
        #[allow(dead_code)]
        struct Extra {
            extra: Option<HashMap<String, String>>,
        }
        assert!(check_query::<Extra>()
            .unwrap_err()
            .starts_with("Query<Extra>: field `extra` is a map"));
        assert!(check_query::<HashMap<String, Page>>()
            .unwrap_err()
            .starts_with("Query<HashMap<String, Page>>: each value is a struct (Page)"));
    }

    #[test]
    fn headers_need_a_struct_whose_fields_can_match_a_header() {
        #[derive(Deserialize)]
        #[allow(dead_code)]
        struct Client {
            user_agent: Option<String>,
            x_token: String,
        }
        assert_eq!(check_headers::<Client>(), Ok(()));
        assert_eq!(check_headers::<HashMap<String, String>>(), Ok(()));
        assert_eq!(
            check_headers::<String>().unwrap_err(),
            "Headers<String> cannot read named headers; declare a struct: #[derive(Deserialize, JsonSchema)] \
             struct RequestHeaders { user_agent: String } and use Headers<RequestHeaders>"
        );
        #[derive(Deserialize)]
        #[allow(dead_code)]
        struct Dashed {
            #[serde(rename = "X-Token")]
            token: String,
        }
        assert_eq!(
            check_headers::<Dashed>().unwrap_err(),
            "Headers<Dashed>: field `X-Token` can never match a header: headers are read \
             lower-case with `-` as `_`; name the field `x_token`"
        );
    }

    #[test]
    fn a_single_path_value_needs_exactly_one_parameter() {
        assert_eq!(check_path::<i64>(&["item_id"]), Ok(()));
        assert_eq!(check_path::<Model>(&["model"]), Ok(()));
        assert_eq!(check_path::<Id>(&["id"]), Ok(()));
        assert_eq!(
            check_path::<i64>(&[]).unwrap_err(),
            "Path<i64> reads one route parameter, but the route has none; add one to the \
             route's path (e.g. \"/items/{item_id}\") or remove the Path argument"
        );
        assert_eq!(
            check_path::<String>(&["user", "file"]).unwrap_err(),
            "Path<String> reads one route parameter, but the route has 2: {user}, {file}; \
             read them by position with a tuple of 2 (e.g. Path<(String, String)>) or by \
             name with a struct whose fields are user, file"
        );
        assert_eq!(check_path::<Option<i64>>(&[]), Ok(()));
        assert!(check_path::<Option<i64>>(&["a", "b"]).is_err());
    }

    #[test]
    fn a_path_tuple_needs_as_many_parameters_as_the_route_has() {
        assert_eq!(check_path::<(String, u8)>(&["user", "n"]), Ok(()));
        assert_eq!(
            check_path::<(String, String)>(&["one"]).unwrap_err(),
            "Path<(String, String)> reads 2 route parameters by position, but the route has \
             1: {one}; read it with Path<T> for a single value"
        );
        assert_eq!(
            check_path::<(String, String)>(&["a", "b", "c"]).unwrap_err(),
            "Path<(String, String)> reads 2 route parameters by position, but the route has \
             3: {a}, {b}, {c}; use a tuple of 3, or a struct whose fields are a, b, c"
        );
        assert!(check_path::<(String,)>(&[])
            .unwrap_err()
            .contains("the route has none; remove the Path argument"));
        assert!(check_path::<(String, HashMap<String, String>)>(&["a", "b"])
            .unwrap_err()
            .contains("a position is a map"));
    }

    #[test]
    fn a_path_struct_needs_each_required_field_in_the_route() {
        #[derive(Deserialize)]
        #[allow(dead_code)]
        struct Ids {
            user: String,
            n: u8,
            #[serde(default)]
            page: u32,
            extra: Option<String>,
        }
        assert_eq!(check_path::<Ids>(&["user", "n"]), Ok(()));
        assert_eq!(check_path::<Ids>(&["n", "user", "other"]), Ok(()));
        assert_eq!(
            check_path::<Ids>(&["user", "id"]).unwrap_err(),
            "Path<Ids> needs the route parameter {n} for its field `n`, but the route has \
             {user}, {id}; add {n} to the route's path, name the field after a parameter the \
             route has (#[serde(rename = \"user\")]), or make it an Option"
        );
        assert!(check_path::<Ids>(&[])
            .unwrap_err()
            .contains("but the route has no parameters; add {user}"));

        #[derive(Deserialize)]
        #[allow(dead_code)]
        struct Nested {
            inner: Page,
        }
        assert!(check_path::<Nested>(&["inner"])
            .unwrap_err()
            .contains("field `inner` is a struct (Page)"));
        assert_eq!(check_path::<HashMap<String, String>>(&["a"]), Ok(()));
        assert_eq!(check_path::<Vec<String>>(&["a", "b"]), Ok(()));
    }
}
