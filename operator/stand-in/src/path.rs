//! Request URLs: `/api/v1/…` and `/apis/GROUP/VERSION/…`, namespaced or not,
//! with an optional object name and subresource; plus the query parameters
//! the stand-in understands.

use std::collections::BTreeMap;

/// What a resource URL addresses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// API group (`""` for core).
    pub group: String,
    /// API version in the URL.
    pub version: String,
    /// Resource plural.
    pub plural: String,
    /// Namespace in the URL, if any.
    pub namespace: Option<String>,
    /// Object name, if any (a collection otherwise).
    pub name: Option<String>,
    /// Subresource (`status`), if any.
    pub sub: Option<String>,
}

/// A parsed URL: a resource, or one of the discovery documents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// `/version`.
    Version,
    /// `/api`, `/apis`, `/api/v1`, `/apis/GROUP/VERSION`.
    Discovery {
        /// `None` for `/api` and `/apis`.
        group_version: Option<(String, String)>,
    },
    /// A resource path.
    Resource(Target),
}

/// Parses a path. `namespaced` tells whether `(group, plural)` is a
/// namespaced kind (to tell `/api/v1/namespaces/x` from `…/namespaces/x/pods`).
pub fn parse(path: &str, namespaced: impl Fn(&str, &str) -> bool) -> Option<Route> {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group, version, rest) = match segs.as_slice() {
        ["version"] => return Some(Route::Version),
        ["api"] | ["apis"] => {
            return Some(Route::Discovery {
                group_version: None,
            });
        }
        ["api", v] => {
            return Some(Route::Discovery {
                group_version: Some((String::new(), (*v).into())),
            });
        }
        ["apis", g, v] => {
            return Some(Route::Discovery {
                group_version: Some(((*g).into(), (*v).into())),
            });
        }
        ["api", v, rest @ ..] => ("", *v, rest),
        ["apis", g, v, rest @ ..] => (*g, *v, rest),
        _ => return None,
    };
    let (namespace, rest) = match rest {
        ["namespaces", ns, plural, tail @ ..] if namespaced(group, plural) => {
            (Some((*ns).to_owned()), [&[*plural][..], tail].concat())
        }
        _ => (None, rest.to_vec()),
    };
    let (plural, name, sub) = match rest.as_slice() {
        [p] => (*p, None, None),
        [p, n] => (*p, Some(*n), None),
        [p, n, s] => (*p, Some(*n), Some(*s)),
        _ => return None,
    };
    Some(Route::Resource(Target {
        group: group.into(),
        version: version.into(),
        plural: plural.into(),
        namespace,
        name: name.map(str::to_owned),
        sub: sub.map(str::to_owned),
    }))
}

/// Query parameters (the last value of a repeated key wins).
#[derive(Clone, Debug, Default)]
pub struct Query(BTreeMap<String, String>);

impl Query {
    /// Parses `a=1&b=2` (kube writes a leading `&`).
    pub fn parse(query: Option<&str>) -> Self {
        Self(
            url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// A parameter's value.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// `key=true`.
    pub fn flag(&self, key: &str) -> bool {
        self.get(key) == Some("true")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns(_: &str, plural: &str) -> bool {
        plural != "namespaces"
    }

    #[test]
    fn parses_namespaced_cluster_and_subresources() {
        let Some(Route::Resource(t)) =
            parse("/apis/apps/v1/namespaces/a/statefulsets/s/status", ns)
        else {
            panic!()
        };
        assert_eq!(
            (t.group.as_str(), t.plural.as_str(), t.namespace.as_deref()),
            ("apps", "statefulsets", Some("a"))
        );
        assert_eq!(
            (t.name.as_deref(), t.sub.as_deref()),
            (Some("s"), Some("status"))
        );
        let Some(Route::Resource(t)) = parse("/api/v1/namespaces/a", ns) else {
            panic!()
        };
        assert_eq!(
            (t.plural.as_str(), t.name.as_deref()),
            ("namespaces", Some("a"))
        );
        assert_eq!(t.namespace, None);
        let Some(Route::Resource(t)) = parse("/api/v1/secrets", ns) else {
            panic!()
        };
        assert_eq!((t.plural.as_str(), t.namespace), ("secrets", None));
        assert_eq!(parse("/version", ns), Some(Route::Version));
        assert_eq!(parse("/nope", ns), None);
    }

    #[test]
    fn query_tolerates_kubes_leading_ampersand() {
        let q = Query::parse(Some("&watch=true&resourceVersion=5"));
        assert!(q.flag("watch"));
        assert_eq!(q.get("resourceVersion"), Some("5"));
    }
}
