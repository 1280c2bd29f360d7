//! OpenAPI links: which operation's answer feeds which next operation (a created sandbox's
//! `id` into get/exec/audit/stop/delete, a saved profile's `name` into get/delete).
//!
//! Links let clients and stateful testers (schemathesis) follow the API's real workflows.
//! They are added to the served JSON rather than through utoipa's `Link` type because utoipa
//! 5 serialises that type's fields in snake_case (`operation_id`, `request_body`), which is
//! not OpenAPI: the spec's Link Object says `operationId`. [`LINKS`] is the one table; the
//! tests check every link against the document (source response, target operation, target
//! parameter, and the response field the expression reads).

use serde_json::{Map, Value, json};

/// One link: from `from`'s `status` answer to operation `to`, filling path parameter
/// `param` from the answer's top-level `field`.
pub(crate) struct LinkSpec {
    pub from: &'static str,
    pub status: &'static str,
    pub name: &'static str,
    pub to: &'static str,
    pub param: &'static str,
    pub field: &'static str,
}

const fn link(
    from: &'static str,
    status: &'static str,
    name: &'static str,
    to: &'static str,
    param: &'static str,
    field: &'static str,
) -> LinkSpec {
    LinkSpec {
        from,
        status,
        name,
        to,
        param,
        field,
    }
}

/// Every link in the document.
#[rustfmt::skip]
pub(crate) const LINKS: &[LinkSpec] = &[
    link("createSandbox", "201", "GetSandbox", "getSandbox", "id", "id"),
    link("createSandbox", "201", "ExecInSandbox", "execInSandbox", "id", "id"),
    link("createSandbox", "201", "SandboxAudit", "getSandboxAudit", "id", "id"),
    link("createSandbox", "201", "StopSandbox", "stopSandbox", "id", "id"),
    link("createSandbox", "201", "DeleteSandbox", "deleteSandbox", "id", "id"),
    link("saveProfile", "201", "GetProfile", "getProfile", "name", "name"),
    link("saveProfile", "201", "DeleteProfile", "deleteProfile", "name", "name"),
    link("saveProfile", "200", "GetProfile", "getProfile", "name", "name"),
    link("saveProfile", "200", "DeleteProfile", "deleteProfile", "name", "name"),
];

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// The operation object with `operation_id`, mutable.
fn operation_mut<'a>(doc: &'a mut Value, operation_id: &str) -> Option<&'a mut Value> {
    doc.get_mut("paths")?
        .as_object_mut()?
        .values_mut()
        .flat_map(|item| {
            item.as_object_mut()
                .into_iter()
                .flat_map(|o| o.iter_mut())
                .filter(|(m, _)| METHODS.contains(&m.as_str()))
                .map(|(_, op)| op)
        })
        .find(|op| op["operationId"] == operation_id)
}

/// Adds [`LINKS`] to `doc` (the document as JSON). A link whose source operation or
/// response is missing is skipped; the unit tests make sure none is.
pub(crate) fn add_links(doc: &mut Value) {
    for l in LINKS {
        let Some(response) = operation_mut(doc, l.from)
            .and_then(|op| op.get_mut("responses"))
            .and_then(|r| r.get_mut(l.status))
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        let links = response
            .entry("links")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(links) = links.as_object_mut() {
            links.insert(
                l.name.to_string(),
                json!({
                    "operationId": l.to,
                    "parameters": { l.param: format!("$response.body#/{}", l.field) },
                    "description": format!(
                        "The `{}` of this answer as the `{}` of {}",
                        l.field, l.param, l.to
                    ),
                }),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn served() -> Value {
        serde_json::from_str(super::super::openapi::document_json()).unwrap_or_default()
    }

    /// Every operation by id, with its path parameters' names.
    fn operations(doc: &Value) -> BTreeMap<String, (Value, Vec<String>)> {
        let mut out = BTreeMap::new();
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                if !METHODS.contains(&method.as_str()) {
                    continue;
                }
                let id = op["operationId"].as_str().unwrap_or_default().to_string();
                assert!(!id.is_empty(), "{method} {path} has no operationId");
                let params = op["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|p| p["in"] == "path")
                    .filter_map(|p| p["name"].as_str().map(String::from))
                    .collect();
                let previous = out.insert(id.clone(), (op.clone(), params));
                assert!(previous.is_none(), "operationId {id} is used twice");
            }
        }
        out
    }

    /// The properties of a response's JSON body, following one `$ref`.
    fn body_fields(doc: &Value, response: &Value) -> Vec<String> {
        let schema = &response["content"]["application/json"]["schema"];
        let schema = match schema["$ref"].as_str() {
            Some(r) => {
                let name = r.trim_start_matches("#/components/schemas/");
                &doc["components"]["schemas"][name]
            }
            None => schema,
        };
        schema["properties"]
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default()
    }

    #[test]
    fn operation_ids_are_unique_and_every_operation_has_one() {
        let ops = operations(&served());
        assert!(ops.len() >= 22, "{:?}", ops.keys());
        assert!(ops.contains_key("createSandbox") && ops.contains_key("listProfiles"));
    }

    #[test]
    fn every_link_points_at_a_real_operation_parameter_and_response_field() {
        let doc = served();
        let ops = operations(&doc);
        let mut seen = 0;
        for (id, (op, _)) in &ops {
            for (status, response) in op["responses"].as_object().into_iter().flatten() {
                for (name, link) in response["links"].as_object().into_iter().flatten() {
                    seen += 1;
                    let keys: Vec<&String> = link
                        .as_object()
                        .into_iter()
                        .flatten()
                        .map(|(k, _)| k)
                        .collect();
                    for k in &keys {
                        assert!(
                            ["operationId", "parameters", "description", "requestBody"]
                                .contains(&k.as_str()),
                            "link {name} of {id} {status} has a non-OpenAPI key {k}"
                        );
                    }
                    let target = link["operationId"].as_str().unwrap_or_default();
                    let Some((_, target_params)) = ops.get(target) else {
                        panic!("link {name} of {id} {status} points at no operation {target:?}");
                    };
                    let fields = body_fields(&doc, response);
                    let params = link["parameters"].as_object().cloned().unwrap_or_default();
                    assert!(!params.is_empty(), "link {name} of {id} passes nothing");
                    for (param, expr) in params {
                        assert!(
                            target_params.contains(&param),
                            "link {name}: {target} has no path parameter {param:?} ({target_params:?})"
                        );
                        let field = expr
                            .as_str()
                            .and_then(|e| e.strip_prefix("$response.body#/"))
                            .unwrap_or_default();
                        assert!(
                            fields.iter().any(|f| f == field),
                            "link {name} of {id} {status} reads {expr}, not a field of its answer \
                             ({fields:?})"
                        );
                    }
                }
            }
        }
        assert_eq!(
            seen,
            LINKS.len(),
            "every link in the table is in the document"
        );
    }

    #[test]
    fn the_create_links_reach_every_sandbox_operation() {
        let doc = served();
        let ops = operations(&doc);
        let links = &ops["createSandbox"].0["responses"]["201"]["links"];
        let targets: Vec<&str> = links
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(_, l)| l["operationId"].as_str())
            .collect();
        for t in [
            "getSandbox",
            "execInSandbox",
            "getSandboxAudit",
            "stopSandbox",
            "deleteSandbox",
        ] {
            assert!(
                targets.contains(&t),
                "{t} not linked from createSandbox: {targets:?}"
            );
        }
        assert!(!super::super::openapi::document_json().contains("\"operation_id\""));
    }
}
