//! The `form` scenario (not in SCENARIOS.md): `Form<T>` with the model of
//! `conformance/reference/form/ref.py`, for the differential check there.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sluice::extract::Form;
use sluice::{App, Json};

/// `class Login(BaseModel)` of `ref.py`, field by field.
#[derive(Serialize, Deserialize, JsonSchema)]
pub(crate) struct Login {
    username: String,
    password: String,
    #[serde(default)]
    remember: bool,
    #[serde(default)]
    tags: Vec<String>,
    age: Option<i64>,
    score: Option<f64>,
}

async fn login(Form(login): Form<Login>) -> Json<Login> {
    Json(login)
}

/// `POST /login` answers the form it read.
pub(crate) fn form() -> App {
    App::new().post("/login", login)
}
