//! The HTML of `/docs` (Swagger UI) and `/redoc` (ReDoc), and the assets
//! the `embedded-docs` feature serves from the binary.

use serde_json::{Map, Value};

/// The version of the npm package `swagger-ui-dist` that `/docs` loads,
/// from the CDN or embedded (`sluice/assets/update.sh` updates both).
pub const SWAGGER_UI_VERSION: &str = "5.35.0";
/// The version of the npm package `redoc` that `/redoc` loads.
pub const REDOC_VERSION: &str = "2.5.4";

/// Swagger UI's script on the jsDelivr CDN, FastAPI's default.
pub(crate) const SWAGGER_UI_JS_CDN: &str =
    "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5.35.0/swagger-ui-bundle.js";
/// Swagger UI's stylesheet on the jsDelivr CDN.
pub(crate) const SWAGGER_UI_CSS_CDN: &str =
    "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5.35.0/swagger-ui.css";
/// ReDoc's standalone bundle on the jsDelivr CDN.
pub(crate) const REDOC_JS_CDN: &str =
    "https://cdn.jsdelivr.net/npm/redoc@2.5.4/bundles/redoc.standalone.js";

/// The file names of the embedded assets, under the docs pages' paths.
pub(crate) const SWAGGER_UI_JS_FILE: &str = "swagger-ui-bundle.js";
pub(crate) const SWAGGER_UI_CSS_FILE: &str = "swagger-ui.css";
pub(crate) const REDOC_JS_FILE: &str = "redoc.standalone.js";

/// Swagger UI's own script for the page its OAuth2 flows come back to
/// (`oauth2-redirect.js` of `swagger-ui-dist`, 1.3 KB): always in the
/// binary, and written into that page, as FastAPI writes it into its own.
const SWAGGER_UI_OAUTH2_REDIRECT_JS: &str =
    include_str!("../../assets/swagger-ui/oauth2-redirect.js");

/// The embedded assets: file name, content type, bytes.
#[cfg(feature = "embedded-docs")]
pub(crate) const SWAGGER_UI_ASSETS: [(&str, &str, &[u8]); 2] = [
    (
        SWAGGER_UI_JS_FILE,
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/swagger-ui/swagger-ui-bundle.js"),
    ),
    (
        SWAGGER_UI_CSS_FILE,
        "text/css; charset=utf-8",
        include_bytes!("../../assets/swagger-ui/swagger-ui.css"),
    ),
];

/// ReDoc's embedded bundle.
#[cfg(feature = "embedded-docs")]
pub(crate) const REDOC_ASSETS: [(&str, &str, &[u8]); 1] = [(
    REDOC_JS_FILE,
    "text/javascript; charset=utf-8",
    include_bytes!("../../assets/redoc/redoc.standalone.js"),
)];

/// Text for an HTML element or a double-quoted attribute.
fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A JSON value that is safe inside a `<script>` element.
fn script_json(value: &Value) -> String {
    crate::floats::to_string(value)
        .unwrap_or_else(|_| "null".to_owned())
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

fn favicon(url: Option<&str>) -> String {
    match url {
        Some(url) => format!("<link rel=\"icon\" href=\"{}\">\n", escape_html(url)),
        None => String::new(),
    }
}

/// What the Swagger UI page says about OAuth2: where its flows come back
/// to, and what `initOAuth` gets (FastAPI's `swagger_ui_init_oauth`).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct SwaggerOAuth<'a> {
    pub(crate) redirect_url: Option<&'a str>,
    pub(crate) init: Option<&'a Value>,
}

/// The Swagger UI page for the document at `openapi_url`.
pub(crate) fn swagger_ui(
    title: &str,
    openapi_url: &str,
    js_url: &str,
    css_url: &str,
    favicon_url: Option<&str>,
    parameters: &Map<String, Value>,
    oauth: SwaggerOAuth<'_>,
) -> String {
    let mut config = Map::new();
    config.insert("url".to_owned(), Value::String(openapi_url.to_owned()));
    config.insert("dom_id".to_owned(), Value::String("#swagger-ui".to_owned()));
    config.insert("deepLinking".to_owned(), Value::Bool(true));
    config.insert("showExtensions".to_owned(), Value::Bool(true));
    config.insert("showCommonExtensions".to_owned(), Value::Bool(true));
    for (key, value) in parameters {
        config.insert(key.clone(), value.clone());
    }
    // On the page's own origin, which only the browser knows.
    let redirect = oauth.redirect_url.map_or(String::new(), |url| {
        format!(
            "config.oauth2RedirectUrl = window.location.origin + {};\n",
            script_json(&Value::String(url.to_owned()))
        )
    });
    let init_oauth = oauth.init.map_or(String::new(), |init| {
        format!("window.ui.initOAuth({});\n", script_json(init))
    });
    format!(
        "<!DOCTYPE html>
<html lang=\"en\">
<head>
<meta charset=\"utf-8\">
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">
<title>{title} - Swagger UI</title>
<link rel=\"stylesheet\" href=\"{css}\">
{favicon}</head>
<body>
<div id=\"swagger-ui\"></div>
<script src=\"{js}\"></script>
<script>
const config = {config};
config.presets = [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset];
config.layout = \"BaseLayout\";
{redirect}window.ui = SwaggerUIBundle(config);
{init_oauth}</script>
</body>
</html>
",
        title = escape_html(title),
        css = escape_html(css_url),
        js = escape_html(js_url),
        favicon = favicon(favicon_url),
        config = script_json(&Value::Object(config)),
    )
}

/// The page Swagger UI's OAuth2 flows come back to: it hands the code or
/// token in its URL to the Swagger UI window that opened it, then closes.
pub(crate) fn oauth2_redirect(title: &str) -> String {
    format!(
        "<!DOCTYPE html>
<html lang=\"en\">
<head>
<meta charset=\"utf-8\">
<title>{title} - Swagger UI: OAuth2 Redirect</title>
</head>
<body>
<script>
{script}
</script>
</body>
</html>
",
        title = escape_html(title),
        script = SWAGGER_UI_OAUTH2_REDIRECT_JS.trim_end(),
    )
}

/// The ReDoc page for the document at `openapi_url`.
pub(crate) fn redoc(
    title: &str,
    openapi_url: &str,
    js_url: &str,
    favicon_url: Option<&str>,
) -> String {
    format!(
        "<!DOCTYPE html>
<html lang=\"en\">
<head>
<meta charset=\"utf-8\">
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">
<title>{title} - ReDoc</title>
{favicon}<style>body {{ margin: 0; padding: 0; }}</style>
</head>
<body>
<noscript>ReDoc needs JavaScript to show the API documentation.</noscript>
<redoc spec-url=\"{url}\"></redoc>
<script src=\"{js}\"></script>
</body>
</html>
",
        title = escape_html(title),
        url = escape_html(openapi_url),
        js = escape_html(js_url),
        favicon = favicon(favicon_url),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_and_urls_are_escaped() {
        let page = swagger_ui(
            "<Shop> & co",
            "/openapi.json?a=1&b=\"2\"",
            "/s.js",
            "/s.css",
            None,
            &Map::new(),
            SwaggerOAuth::default(),
        );
        assert!(page.contains("<title>&lt;Shop&gt; &amp; co - Swagger UI</title>"));
        assert!(
            page.contains(r#""url":"/openapi.json?a=1\u0026b=\"2\"""#),
            "{page}"
        );
        let page = redoc("t", "/x\"><script>", "/r.js", Some("/f.png"));
        assert!(page.contains("spec-url=\"/x&quot;&gt;&lt;script&gt;\""));
        assert!(page.contains("<link rel=\"icon\" href=\"/f.png\">"));
    }

    #[test]
    fn oauth_settings_reach_the_page_as_script_safe_json() {
        let init = serde_json::json!({ "clientId": "</script><b>", "scopes": "me" });
        let oauth = SwaggerOAuth {
            redirect_url: Some("/docs/oauth2-redirect?a=<b>"),
            init: Some(&init),
        };
        let page = swagger_ui("t", "/o.json", "/s.js", "/s.css", None, &Map::new(), oauth);
        assert!(
            page.contains(
                "config.oauth2RedirectUrl = window.location.origin + \
                 \"/docs/oauth2-redirect?a=\\u003cb\\u003e\";\n\
                 window.ui = SwaggerUIBundle(config);\n\
                 window.ui.initOAuth({\"clientId\":\"\\u003c/script\\u003e\\u003cb\\u003e\",\"scopes\":\"me\"});\n\
                 </script>"
            ),
            "{page}"
        );
        // Neither without them.
        let page = swagger_ui(
            "t",
            "/o.json",
            "/s.js",
            "/s.css",
            None,
            &Map::new(),
            SwaggerOAuth::default(),
        );
        assert!(
            !page.contains("oauth2RedirectUrl") && !page.contains("initOAuth"),
            "{page}"
        );
    }

    #[test]
    fn the_redirect_page_holds_swagger_uis_script_whole() {
        let page = oauth2_redirect("<Shop>");
        assert!(page.contains("<title>&lt;Shop&gt; - Swagger UI: OAuth2 Redirect</title>"));
        assert!(page.contains("window.opener.swaggerUIRedirectOauth2"));
        // The script cannot end its element early.
        let script = &page[page.find("<script>").expect("a script") + 8..];
        assert_eq!(
            script.find("</script"),
            Some(script.len() - "</script>\n</body>\n</html>\n".len())
        );
    }
}
