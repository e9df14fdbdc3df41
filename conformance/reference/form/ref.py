"""FastAPI reference: Annotated[Login, Form()] answered in-process by TestClient."""
from typing import Annotated

from fastapi import FastAPI, Form
from fastapi.testclient import TestClient
from pydantic import BaseModel


class Login(BaseModel):
    username: str
    password: str
    remember: bool = False
    tags: list[str] = []
    age: int | None = None
    score: float | None = None


app = FastAPI()


@app.post("/login")
def login(data: Annotated[Login, Form()]):
    return data


# raise_server_exceptions=False: a response FastAPI cannot serialize
# (inf/nan floats) comes back as Starlette's 500 instead of raising.
client = TestClient(app, raise_server_exceptions=False)


def answer(body: bytes, content_type: str | None):
    """(status, body text, raised exception repr or None)"""
    headers = {} if content_type is None else {"content-type": content_type.encode("latin-1")}
    try:
        r = client.post("/login", content=body, headers=headers)
    except Exception as e:  # noqa: BLE001
        return None, "", repr(e)
    return r.status_code, r.text, None


if __name__ == "__main__":
    import sys
    print(answer(sys.argv[1].encode(), sys.argv[2] if len(sys.argv) > 2 else "application/x-www-form-urlencoded"))
