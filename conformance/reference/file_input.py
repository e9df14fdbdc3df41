"""What the form and params differentials compare of an uploaded file in a
422: FastAPI dumps its UploadFile object into an issue's `input` (temporary
file internals included), sluice writes the file's name, size and headers,
so both are reduced to the name and size, and only inside `input`."""


def file_as_name(v):
    """Every file (a dict with `filename` and `size`) in v, as its name and size."""
    if isinstance(v, dict):
        if "filename" in v and "size" in v:
            return {"<file>": v["filename"], "size": v["size"]}
        return {k: file_as_name(x) for k, x in v.items()}
    if isinstance(v, list):
        return [file_as_name(x) for x in v]
    return v


def issue_inputs_as_names(body):
    """A 422's body with each issue's `input` reduced by file_as_name; any
    other body as it is."""
    if isinstance(body, dict) and isinstance(body.get("detail"), list):
        return dict(body, detail=[
            dict(i, input=file_as_name(i["input"])) if isinstance(i, dict) and "input" in i else i
            for i in body["detail"]])
    return body
