"""FastAPI's side of the `params` differential: path, query, cookie and header parameters,
uploaded files and JSON bodies, the same routes as `conformance-app params`
(conformance/src/scenarios/params.rs)."""
from enum import Enum
from typing import Annotated, Literal

from fastapi import Cookie, FastAPI, Form, Header, Query, UploadFile
from pydantic import BaseModel, ConfigDict

app = FastAPI()


class Color(str, Enum):
    red = "red"
    green = "green"


@app.get("/c/str")
def c_str(session_id: Annotated[str, Cookie()]):
    return {"v": session_id}


@app.get("/c/optstr")
def c_opt(ads_id: Annotated[str | None, Cookie()] = None):
    return {"v": ads_id}


@app.get("/c/int")
def c_int(limit: Annotated[int, Cookie()] = 10):
    return {"v": limit}


@app.get("/c/float")
def c_float(ratio: Annotated[float, Cookie()]):
    return {"v": ratio}


@app.get("/c/bool")
def c_bool(flag: Annotated[bool, Cookie()]):
    return {"v": flag}


@app.get("/c/lit")
def c_lit(color: Annotated[Literal["red", "green"], Cookie()]):
    return {"v": color}


@app.get("/c/enum")
def c_enum(color: Annotated[Color, Cookie()]):
    return {"v": color}


@app.get("/c/all")
def c_all(
    session_id: Annotated[str, Cookie()],
    ads_id: Annotated[str | None, Cookie()] = None,
    limit: Annotated[int, Cookie()] = 10,
    ratio: Annotated[float | None, Cookie()] = None,
    flag: Annotated[bool, Cookie()] = False,
    color: Annotated[Color | None, Cookie()] = None,
):
    return {"session_id": session_id, "ads_id": ads_id, "limit": limit,
            "ratio": ratio, "flag": flag, "color": color}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")
    session_id: str
    n: int = 0


@app.get("/c/strict")
def c_strict(c: Annotated[Strict, Cookie()]):
    return {"session_id": c.session_id, "n": c.n}


async def f(u: UploadFile):
    data = await u.read()
    return {"filename": u.filename, "ct": u.content_type, "size": u.size, "data": data.hex()}


class Up(BaseModel):
    file: UploadFile
    note: str = "n"
    tag: str | None = None
    count: int = 1


class Mixed(BaseModel):
    name: str
    file: UploadFile
    age: int


class Many(BaseModel):
    files: list[UploadFile]
    note: str = "n"


class ManyOpt(BaseModel):
    files: list[UploadFile] = []


class Opt(BaseModel):
    file: UploadFile | None = None
    note: str = "n"


class OptForm(BaseModel):
    name: str
    file: UploadFile
    count: int = 0


@app.post("/u/up")
async def u_up(x: Annotated[Up, Form()]):
    return {"file": await f(x.file), "note": x.note, "tag": x.tag, "count": x.count}


@app.post("/u/mixed")
async def u_mixed(x: Annotated[Mixed, Form()]):
    return {"name": x.name, "file": await f(x.file), "age": x.age}


@app.post("/u/many")
async def u_many(x: Annotated[Many, Form()]):
    return {"files": [await f(u) for u in x.files], "note": x.note}


@app.post("/u/manyopt")
async def u_manyopt(x: Annotated[ManyOpt, Form()]):
    return {"files": [await f(u) for u in x.files]}


@app.post("/u/opt")
async def u_opt(x: Annotated[Opt, Form()]):
    return {"file": await f(x.file) if x.file is not None else None, "note": x.note}


@app.post("/u/optform")
async def u_optform(form: Annotated[OptForm | None, Form()] = None):
    if form is None:
        return {"form": None}
    return {"form": {"name": form.name, "file": await f(form.file), "count": form.count}}


class Item(BaseModel):
    name: str
    price: float
    count: int
    ok: bool
    tags: list[str]
    note: str | None = None


class Order(BaseModel):
    model_config = ConfigDict(extra="forbid")
    color: Color
    item: Item
    extras: list[Item] = []


@app.post("/j/item")
def j_item(x: Item):
    return x


@app.post("/j/order")
def j_order(x: Order):
    return x


@app.get("/h/model")
def h_model(
    x_token: Annotated[str, Header()],
    user_agent: Annotated[str | None, Header()] = None,
    x_count: Annotated[int, Header()] = 0,
    x_tags: Annotated[list[str], Header()] = [],
    x_flag: Annotated[bool | None, Header()] = None,
    x_color: Annotated[Color | None, Header()] = None,
):
    """Separate header parameters: sluice's `Headers<T>` of a struct
    without `deny_unknown_fields`."""
    return {"x_token": x_token, "user_agent": user_agent, "x_count": x_count,
            "x_tags": x_tags, "x_flag": x_flag, "x_color": x_color}


class HStrict(BaseModel):
    model_config = ConfigDict(extra="forbid")
    x_token: str
    x_ratio: float | None = None
    host: str | None = None
    content_length: str | None = None


@app.get("/h/strict")
def h_strict(h: Annotated[HStrict, Header()]):
    return h


@app.get("/q/sep")
def q_sep(
    q: str,
    n: int = 0,
    r: float | None = None,
    flag: bool | None = None,
    tags: Annotated[list[str], Query()] = [],
    ids: Annotated[list[int], Query()] = [],
    color: Color | None = None,
    opt: str | None = None,
):
    """Separate query parameters: sluice's `Query<T>` of a struct without
    `deny_unknown_fields`."""
    return {"q": q, "n": n, "r": r, "flag": flag, "tags": tags, "ids": ids, "color": color, "opt": opt}


class QStrict(BaseModel):
    model_config = ConfigDict(extra="forbid")
    q: str
    n: int = 0
    tags: list[str] = []


@app.get("/q/strict")
def q_strict(x: Annotated[QStrict, Query()]):
    return x


@app.get("/p/s/{s}")
def p_s(s: str):
    return {"s": s}


@app.get("/p/f/{f}")
def p_f(f: float):
    return {"f": f}


@app.get("/p/b/{b}")
def p_b(b: bool):
    return {"b": b}


@app.get("/p/c/{c}")
def p_c(c: Color):
    return {"c": c}


@app.get("/p/two/{a}/{n}")
def p_two(a: str, n: int):
    return {"a": a, "n": n}


@app.get("/p/rest/{rest:path}")
def p_rest(rest: str):
    return {"rest": rest}


@app.get("/q/alias")
def q_alias(
    item_query: Annotated[str | None, Query(alias="item-query")] = None,
    n: Annotated[int, Query(alias="N")] = 0,
    tags: Annotated[list[str], Query(alias="tag")] = [],
):
    """Query parameters under another name: `#[serde(rename = ...)]`."""
    return {"item_query": item_query, "n": n, "tags": tags}


@app.get("/h/alias")
def h_alias(
    token: Annotated[str, Header(alias="X-Secret-Token")],
    lang: Annotated[str | None, Header(alias="accept-language")] = None,
):
    """Header parameters under another name: `#[serde(rename = ...)]`."""
    return {"token": token, "lang": lang}
