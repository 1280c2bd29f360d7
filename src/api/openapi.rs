//! The OpenAPI 3 document (`GET /api/v1/openapi.json`) and the Swagger UI (`GET /api/v1/docs`).
//!
//! The document is generated from the code, so it cannot drift: every route is registered
//! through utoipa-axum's `routes!`, which adds the handler's `#[utoipa::path]` description to
//! the document in the same call that adds it to the router, and request and response bodies
//! are the handlers' own types deriving `ToSchema`. The only routes added any other way are
//! the Swagger UI's, and those are described here by hand ([`describe_docs_routes`]); a test
//! checks both directions (every documented route is served, nothing else is).
//!
//! `src/policy/` is also compiled into the static in-sandbox guard, which must not depend on
//! utoipa, so the gate's [`Decision`](crate::policy::Decision) and
//! [`Rule`](crate::policy::Rule) are described by mirror types here ([`DecisionSchema`],
//! [`RuleSchema`]); a unit test proves every rule and a decision serialise identically.
//!
//! The Swagger UI's assets are compiled in from utoipa-swagger-ui's `vendored` feature (the
//! zip ships inside the utoipa-swagger-ui-vendored crate; the build script's download path is
//! not compiled without its `reqwest` feature), so nothing is fetched at build or run time.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::openapi::path::{OperationBuilder, PathItem};
use utoipa::openapi::response::{ResponseBuilder, ResponsesBuilder};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::openapi::{ContentBuilder, HttpMethod, OpenApi, Ref, RefOr};
use utoipa::{IntoResponses, Modify, PartialSchema, ToSchema};

use super::error::ErrorBody;

/// Where the document and the UI are served.
pub const SPEC_PATH: &str = "/api/v1/openapi.json";
pub const DOCS_PATH: &str = "/api/v1/docs";

/// The name of the API-key security scheme in the document.
pub const KEY_SCHEME: &str = "api_key";

/// The parts of the document that are not routes: title, security scheme, shared schemas.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "lasso REST API",
        description = "Run AI coding agents in hardened, policy-gated, audited container \
                       sandboxes. Every route except /api/v1/health, /api/v1/openapi.json and \
                       /api/v1/docs needs an X-API-Key header (`lasso api-key create`)."
    ),
    components(schemas(ErrorBody, DecisionSchema, RuleSchema, BlockedBody)),
    modifiers(&KeyScheme),
    tags(
        (name = "sandboxes", description = "Create, list, run commands in and stop sandboxes"),
        (name = "profiles", description = "Sandbox profiles"),
        (name = "audit", description = "The tamper-evident audit log"),
        (name = "webhooks", description = "Outgoing event notifications"),
        (name = "system", description = "Health, checks, agents, events, metrics, this document")
    )
)]
pub struct ApiDoc;

struct KeyScheme;

impl Modify for KeyScheme {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            KEY_SCHEME,
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-API-Key"))),
        );
    }
}

/// Which rule of the command gate decided (mirror of [`crate::policy::Rule`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
#[schema(as = Rule)]
pub enum RuleSchema {
    Allowed,
    Empty,
    ControlCharacter,
    Syntax,
    CommandSubstitution,
    ProcessSubstitution,
    HereDocument,
    Expansion,
    UnsupportedSyntax,
    ShellOperators,
    RedirectOutsideWorkspace,
    NotWhitelisted,
    Blacklisted,
    Mode,
    BlockedArgs,
    CodeEval,
    SensitiveVariable,
    PathTraversal,
    HiddenPath,
    NestingTooDeep,
}

/// The gate's answer (mirror of [`crate::policy::Decision`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = Decision)]
pub struct DecisionSchema {
    pub allowed: bool,
    pub rule: RuleSchema,
    /// Why, in words for a human.
    pub reason: String,
    /// The program (basename) the deciding rule applied to, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub program: Option<String>,
}

/// The `403` answer of `POST /sandboxes/{id}/exec`: the decision plus the error fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct BlockedBody {
    pub allowed: bool,
    pub rule: RuleSchema,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub program: Option<String>,
    /// `blocked by the command gate: <reason>`.
    pub error: String,
    /// Always `blocked`.
    pub code: String,
}

fn error_response(description: &str) -> RefOr<utoipa::openapi::Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
        .into()
}

/// The error answers any authenticated route may give (see docs/api.md, "Errors").
pub struct ProtectedErrors;

impl IntoResponses for ProtectedErrors {
    fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
        [
            (
                "400",
                "Malformed JSON, unknown fields or bad query parameters",
            ),
            ("401", "Missing or unknown X-API-Key"),
            ("404", "No such sandbox, profile, audit log or route"),
            (
                "409",
                "Name taken, sandbox not running or unusable, ambiguous id prefix",
            ),
            ("413", "Body over the size limit"),
            ("415", "Body without Content-Type: application/json"),
            ("422", "Invalid profile, working dir, isolation or request"),
            ("429", "Rate limit exceeded (see Retry-After)"),
            (
                "500",
                "A failure of lasso itself (details only in the server's log)",
            ),
            ("502", "The engine or the sandbox failed"),
            ("503", "The engine cannot be reached"),
        ]
        .into_iter()
        .map(|(status, description)| (status.to_string(), error_response(description)))
        .collect()
    }
}

/// The document, built once per process.
pub fn document() -> &'static OpenApi {
    static DOC: OnceLock<OpenApi> = OnceLock::new();
    DOC.get_or_init(super::openapi_document)
}

/// The served document: [`document`] plus the links (see links.rs for why they are added
/// to the JSON).
pub(crate) fn document_json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| {
        let mut value = serde_json::to_value(document()).unwrap_or_default();
        super::links::add_links(&mut value);
        serde_json::to_string(&value).unwrap_or_else(|_| "{}".into())
    })
}

/// `GET /openapi.json`.
#[utoipa::path(
    get,
    path = "/openapi.json",
    operation_id = "getOpenApi",
    tag = "system",
    security(()),
    responses((status = 200, description = "This OpenAPI 3 document", content_type = "application/json", body = Object))
)]
pub async fn spec() -> Response {
    let mut resp = document_json().into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// The Swagger UI's routes, served from the vendored assets and reading [`SPEC_PATH`].
pub fn docs_router<S: Clone + Send + Sync + 'static>() -> axum::Router<S> {
    utoipa_swagger_ui::SwaggerUi::new(DOCS_PATH)
        .config(utoipa_swagger_ui::Config::from(SPEC_PATH))
        .into()
}

/// Adds the Swagger UI's routes (served by [`docs_router`], not through `routes!`) to `doc`.
pub fn describe_docs_routes(doc: &mut OpenApi) {
    let html = |description: &str| {
        ResponsesBuilder::new()
            .response(
                "200",
                ResponseBuilder::new().description(description).content(
                    "text/html",
                    ContentBuilder::new().schema(Some(String::schema())).build(),
                ),
            )
            .build()
    };
    let op = |id: &str, summary: &str, responses| {
        let mut op = OperationBuilder::new()
            .operation_id(Some(id))
            .summary(Some(summary))
            .tag("system")
            .responses(responses)
            .build();
        // Public: an empty requirement overrides nothing but states it.
        op.security = Some(vec![
            utoipa::openapi::security::SecurityRequirement::default(),
        ]);
        op
    };
    let redirect = ResponsesBuilder::new()
        .response(
            "303",
            ResponseBuilder::new().description("Redirect to /api/v1/docs/"),
        )
        .build();
    doc.paths.paths.insert(
        DOCS_PATH.to_string(),
        PathItem::new(
            HttpMethod::Get,
            op(
                "getDocsRedirect",
                "Swagger UI (redirects to /api/v1/docs/)",
                redirect,
            ),
        ),
    );
    doc.paths.paths.insert(
        format!("{DOCS_PATH}/"),
        PathItem::new(
            HttpMethod::Get,
            op(
                "getDocs",
                "Swagger UI for this document",
                html("The Swagger UI page"),
            ),
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{Decision, Rule};

    /// Exhaustive on purpose: a new gate rule fails to compile here until it is mirrored.
    fn mirror(rule: Rule) -> RuleSchema {
        match rule {
            Rule::Allowed => RuleSchema::Allowed,
            Rule::Empty => RuleSchema::Empty,
            Rule::ControlCharacter => RuleSchema::ControlCharacter,
            Rule::Syntax => RuleSchema::Syntax,
            Rule::CommandSubstitution => RuleSchema::CommandSubstitution,
            Rule::ProcessSubstitution => RuleSchema::ProcessSubstitution,
            Rule::HereDocument => RuleSchema::HereDocument,
            Rule::Expansion => RuleSchema::Expansion,
            Rule::UnsupportedSyntax => RuleSchema::UnsupportedSyntax,
            Rule::ShellOperators => RuleSchema::ShellOperators,
            Rule::RedirectOutsideWorkspace => RuleSchema::RedirectOutsideWorkspace,
            Rule::NotWhitelisted => RuleSchema::NotWhitelisted,
            Rule::Blacklisted => RuleSchema::Blacklisted,
            Rule::Mode => RuleSchema::Mode,
            Rule::BlockedArgs => RuleSchema::BlockedArgs,
            Rule::CodeEval => RuleSchema::CodeEval,
            Rule::SensitiveVariable => RuleSchema::SensitiveVariable,
            Rule::PathTraversal => RuleSchema::PathTraversal,
            Rule::HiddenPath => RuleSchema::HiddenPath,
            Rule::NestingTooDeep => RuleSchema::NestingTooDeep,
        }
    }

    const ALL_RULES: [Rule; 20] = [
        Rule::Allowed,
        Rule::Empty,
        Rule::ControlCharacter,
        Rule::Syntax,
        Rule::CommandSubstitution,
        Rule::ProcessSubstitution,
        Rule::HereDocument,
        Rule::Expansion,
        Rule::UnsupportedSyntax,
        Rule::ShellOperators,
        Rule::RedirectOutsideWorkspace,
        Rule::NotWhitelisted,
        Rule::Blacklisted,
        Rule::Mode,
        Rule::BlockedArgs,
        Rule::CodeEval,
        Rule::SensitiveVariable,
        Rule::PathTraversal,
        Rule::HiddenPath,
        Rule::NestingTooDeep,
    ];

    #[test]
    fn the_mirrors_serialise_exactly_like_the_gate_types() {
        let schema = serde_json::to_value(RuleSchema::schema()).unwrap_or_default();
        let words: Vec<String> = schema["enum"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(words.len(), ALL_RULES.len(), "{schema}");
        for rule in ALL_RULES {
            let real = serde_json::to_value(rule).unwrap_or_default();
            assert_eq!(real, serde_json::to_value(mirror(rule)).unwrap_or_default());
            assert!(words.iter().any(|w| real == *w), "{real} not in the schema");
        }
        for program in [None, Some("rm".to_string())] {
            let d = Decision {
                allowed: false,
                rule: Rule::Blacklisted,
                reason: "`rm` is blacklisted".into(),
                program: program.clone(),
            };
            let m = DecisionSchema {
                allowed: false,
                rule: mirror(d.rule),
                reason: d.reason.clone(),
                program,
            };
            assert_eq!(
                serde_json::to_string(&d).unwrap_or_default(),
                serde_json::to_string(&m).unwrap_or_default()
            );
        }
    }
}
