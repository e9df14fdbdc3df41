//! The app's named routes and mounts, for
//! [`Request::url_for`](crate::Request::url_for): each name's path
//! template, and the path it gives for some parameters, as Starlette's
//! `url_path_for` builds it.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Display;

use crate::error::UrlForError;

/// The named routes of one app: a route is named by
/// [`MethodRouter::name`](crate::routing::MethodRouter::name), else by its
/// handler function's name (FastAPI's default). The first route of a name
/// keeps it, as Starlette's look-up finds the first.
#[derive(Debug, Default, Clone)]
pub(crate) struct RouteNames {
    by_name: HashMap<Box<str>, Template>,
}

/// A path template (`/items/{id}`, `/files/{rest:path}`) in parts.
#[derive(Debug, Clone)]
struct Template {
    parts: Vec<Part>,
    /// A named mount's: its `path` parameter loses its leading slashes
    /// (`path="/css/a.css"` and `path="css/a.css"` are the same file).
    mount: bool,
}

#[derive(Debug, Clone)]
enum Part {
    Text(Box<str>),
    /// A parameter; `rest` for `{name:path}`, which may hold `/`.
    Param {
        name: Box<str>,
        rest: bool,
    },
}

impl RouteNames {
    /// Names `path` (a template the router accepted) `name`, unless a route
    /// has that name already.
    pub(crate) fn add(&mut self, name: Cow<'static, str>, path: &str) {
        self.by_name
            .entry(name.into_owned().into_boxed_str())
            .or_insert_with(|| Template::parse(path));
    }

    /// Names the mount at `prefix` (`""` for the root) `name`: its URL is
    /// the prefix and a `path` parameter, as Starlette's named `Mount`
    /// gives it (`url_for("static", path="css/a.css")`).
    pub(crate) fn add_mount(&mut self, name: Cow<'static, str>, prefix: &str) {
        let mut template = Template::parse(&format!("{prefix}/{{path:path}}"));
        template.mount = true;
        self.by_name
            .entry(name.into_owned().into_boxed_str())
            .or_insert(template);
    }

    /// Names the routes (and named mounts) of a sluice app mounted at
    /// `prefix`, as Starlette's `url_path_for` finds them through a
    /// `Mount`: under `mount:route` for a mount named `mount`, under their
    /// own names for an unnamed one. A name the app has already stays its.
    pub(crate) fn add_mounted(&mut self, prefix: &str, mount: Option<&str>, names: &RouteNames) {
        for (name, template) in &names.by_name {
            let name = match mount {
                Some(mount) => format!("{mount}:{name}").into_boxed_str(),
                None => name.clone(),
            };
            self.by_name
                .entry(name)
                .or_insert_with(|| template.under(prefix));
        }
    }

    /// The path of the route `name` with `params` in place of its
    /// parameters.
    pub(crate) fn path_for<K, V>(
        &self,
        name: &str,
        params: impl IntoIterator<Item = (K, V)>,
    ) -> Result<String, UrlForError>
    where
        K: AsRef<str>,
        V: Display,
    {
        let params: Vec<(String, String)> = params
            .into_iter()
            .map(|(k, v)| (k.as_ref().to_owned(), v.to_string()))
            .collect();
        let no_match = || UrlForError::no_route(name, params.iter().map(|(k, _)| k.as_str()));
        let Some(Template { parts, mount }) = self.by_name.get(name) else {
            return Err(no_match());
        };
        // Starlette's rule: exactly the route's parameters, no more.
        let expected = parts
            .iter()
            .filter(|part| matches!(part, Part::Param { .. }))
            .count();
        let given = |wanted: &str| params.iter().find(|(k, _)| k == wanted).map(|(_, v)| v);
        let distinct = params
            .iter()
            .enumerate()
            .all(|(i, (k, _))| params[..i].iter().all(|(earlier, _)| earlier != k));
        if params.len() != expected || !distinct {
            return Err(no_match());
        }
        let mut path = String::new();
        for part in parts {
            match part {
                Part::Text(text) => path.push_str(text),
                Part::Param { name: param, rest } => {
                    let mut value = given(param).ok_or_else(no_match)?.as_str();
                    if *mount {
                        value = value.trim_start_matches('/');
                    }
                    if !rest && value.contains('/') {
                        return Err(UrlForError::separator(name, param, value));
                    }
                    path.push_str(value);
                }
            }
        }
        Ok(path)
    }
}

impl Template {
    /// This template, under a mount at `prefix`.
    fn under(&self, prefix: &str) -> Self {
        let mut parts = Vec::with_capacity(self.parts.len() + 1);
        match self.parts.first() {
            Some(Part::Text(text)) => parts.push(Part::Text(format!("{prefix}{text}").into())),
            _ => parts.push(Part::Text(prefix.into())),
        }
        let skip = usize::from(matches!(self.parts.first(), Some(Part::Text(_))));
        parts.extend(self.parts.iter().skip(skip).cloned());
        parts.retain(|part| !matches!(part, Part::Text(text) if text.is_empty()));
        Template {
            parts,
            mount: self.mount,
        }
    }

    fn parse(path: &str) -> Self {
        let mut parts = Vec::new();
        let mut rest = path;
        while let Some(open) = rest.find('{') {
            let Some(close) = rest[open..].find('}').map(|at| open + at) else {
                break;
            };
            if open > 0 {
                parts.push(Part::Text(rest[..open].into()));
            }
            let inner = &rest[open + 1..close];
            let (name, converter) = inner.split_once(':').unwrap_or((inner, ""));
            parts.push(Part::Param {
                name: name.into(),
                rest: converter == "path",
            });
            rest = &rest[close + 1..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.into()));
        }
        Template {
            parts,
            mount: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> RouteNames {
        let mut names = RouteNames::default();
        names.add("read_item".into(), "/items/{item_id}");
        names.add("file".into(), "/u/{user}/files/{rest:path}");
        names.add("home".into(), "/");
        names.add("read_item".into(), "/other/{x}");
        names.add_mount("static".into(), "/static");
        names.add_mount("root".into(), "");
        names
    }

    #[test]
    fn builds_paths_as_starlette_does() {
        let names = names();
        assert_eq!(
            names.path_for("read_item", [("item_id", 5)]).unwrap(),
            "/items/5"
        );
        assert_eq!(
            names
                .path_for("file", [("user", "ann"), ("rest", "a/b c.txt")])
                .unwrap(),
            "/u/ann/files/a/b c.txt"
        );
        // Given in any order.
        assert_eq!(
            names
                .path_for("file", [("rest", ""), ("user", "bo")])
                .unwrap(),
            "/u/bo/files/"
        );
        assert_eq!(names.path_for("home", [("x", 1); 0]).unwrap(), "/");
    }

    #[test]
    fn builds_a_named_mount_path_as_starlette_does() {
        let names = names();
        for path in ["css/a b.css", "/css/a b.css", "//css/a b.css"] {
            assert_eq!(
                names.path_for("static", [("path", path)]).unwrap(),
                "/static/css/a b.css"
            );
        }
        assert_eq!(
            names.path_for("static", [("path", "")]).unwrap(),
            "/static/"
        );
        assert_eq!(names.path_for("root", [("path", "/x/y")]).unwrap(), "/x/y");
        // The path, and nothing else.
        let none: [(&str, &str); 0] = [];
        assert!(names.path_for("static", none).is_err());
        assert!(names
            .path_for("static", [("path", "a"), ("v", "1")])
            .is_err());
    }

    #[test]
    fn refuses_unknown_names_and_wrong_parameters() {
        let names = names();
        let none: [(&str, &str); 0] = [];
        for (name, params) in [
            ("nope", vec![]),
            ("read_item", vec![]),
            ("read_item", vec![("item_id", "1"), ("extra", "2")]),
            ("read_item", vec![("id", "1")]),
            ("read_item", vec![("item_id", "1"), ("item_id", "2")]),
        ] {
            let err = names.path_for(name, params.clone()).unwrap_err();
            let keys: Vec<&str> = params.iter().map(|(k, _)| *k).collect();
            assert_eq!(
                err.to_string(),
                format!(
                    "No route exists for name \"{name}\" and params \"{}\".",
                    keys.join(", ")
                )
            );
        }
        assert!(names.path_for("home", none).is_ok());
        let err = names
            .path_for("read_item", [("item_id", "a/b")])
            .unwrap_err();
        assert!(err.to_string().contains("path separator"), "{err}");
    }
}
