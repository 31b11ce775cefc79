#!/usr/bin/env python3
"""Validate S3 lifecycle configurations against AWS's own API model.

Checks what costwise writes for `aws s3api put-bucket-lifecycle-configuration`
against botocore's S3 service model (the model the AWS CLI and SDKs are
generated from): `botocore.validate.validate_parameters` on the input shape of
`PutBucketLifecycleConfiguration` (unknown keys, missing required members,
wrong types, list and number bounds), plus the model's enum values, which
botocore's validator leaves to the service (a `StorageClass` of `GLACIR` or a
`Status` of `enabled` is rejected here, not by S3 after the fact).

Usage: validate_s3_lifecycle.py FILE... (`-` reads standard input)

Each FILE holds one JSON document or a JSON array of documents. A document is
either a `LifecycleConfiguration` (`{"Rules": [...]}`, the body passed to
`--lifecycle-configuration`) or a case object:

    {
      "name": "glacier-ir",                        # optional; shown in errors
      "bucket": "acme-prod-logs",
      "configuration": "{\"Rules\": [...]}",       # the JSON text (or the object)
      "transition_default_minimum_object_size": "varies_by_storage_class",  # optional
      "cli": "aws s3api put-bucket-lifecycle-configuration --bucket ..."    # optional
    }

For a case with `cli`, the command is split the way a POSIX shell splits it
(`shlex`), and its `--bucket`, `--lifecycle-configuration` and
`--transition-default-minimum-object-size` must carry exactly the case's
bucket, configuration (as JSON values) and minimum size; the parameters the
command sends are validated too.

Prints every error prefixed with the document's name and exits 1 when there
is any (2 on unusable input); prints a one-line summary and exits 0 otherwise.
"""

import json
import shlex
import sys

try:
    import botocore
    import botocore.session
    from botocore.exceptions import ParamValidationError
    from botocore.validate import validate_parameters
except ImportError:
    sys.stderr.write(
        "validate_s3_lifecycle.py: the Python package botocore is not installed "
        "(python3 -m pip install botocore; scripts/test installs the pinned version)\n"
    )
    sys.exit(2)

OPERATION = "PutBucketLifecycleConfiguration"
PUT_COMMAND = ["aws", "s3api", "put-bucket-lifecycle-configuration"]
CLI_OPTIONS = {
    "--bucket": "Bucket",
    "--lifecycle-configuration": "LifecycleConfiguration",
    "--transition-default-minimum-object-size": "TransitionDefaultMinimumObjectSize",
}
PLACEHOLDER_BUCKET = "example-bucket"


def input_shape():
    """The input shape of PutBucketLifecycleConfiguration in botocore's S3 model."""
    model = botocore.session.get_session().get_service_model("s3")
    return model.operation_model(OPERATION).input_shape


def enum_errors(value, shape, path):
    """Values outside a string shape's enum, anywhere under `value`."""
    errors = []
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        for key, member in value.items():
            if key in shape.members:
                child = f"{path}.{key}" if path else key
                errors.extend(enum_errors(member, shape.members[key], child))
    elif kind == "list" and isinstance(value, list):
        for index, item in enumerate(value):
            errors.extend(enum_errors(item, shape.member, f"{path}[{index}]"))
    elif kind == "map" and isinstance(value, dict):
        for key, item in value.items():
            errors.extend(enum_errors(key, shape.key, f"{path} (key)"))
            errors.extend(enum_errors(item, shape.value, f"{path}.{key}"))
    elif kind == "string" and isinstance(value, str) and shape.enum and value not in shape.enum:
        errors.append(f"Invalid value for parameter {path}, value: {value!r}, valid values: {', '.join(shape.enum)}")
    return errors


def validate_params(params, shape):
    """Every error botocore's validator and the enum check find in `params`."""
    errors = []
    try:
        validate_parameters(params, shape)
    except ParamValidationError as error:
        report = str(error.kwargs.get("report", error))
        errors.extend(line.strip() for line in report.splitlines() if line.strip())
    errors.extend(enum_errors(params, shape, ""))
    return errors


def parse_json(text, what):
    """`text` parsed as JSON, or (None, error)."""
    if not isinstance(text, str):
        return text, None
    try:
        return json.loads(text), None
    except json.JSONDecodeError as error:
        return None, f"{what} is not JSON: {error}"


def canonical(value):
    """`value` as canonical JSON text: equal only for the same JSON (`true` is not `1`, `1` is not `1.0`)."""
    return json.dumps(value, sort_keys=True)


def cli_params(command):
    """The parameters a put-bucket-lifecycle-configuration command sends, and errors."""
    try:
        words = shlex.split(command, posix=True)
    except ValueError as error:
        return None, [f"cli: not a shell command: {error}"]
    if words[: len(PUT_COMMAND)] != PUT_COMMAND:
        return None, [f"cli: expected `{' '.join(PUT_COMMAND)} ...`, got {words[:3]}"]
    params, errors = {}, []
    rest = words[len(PUT_COMMAND) :]
    index = 0
    while index < len(rest):
        option = rest[index]
        if option not in CLI_OPTIONS:
            errors.append(f"cli: unexpected word {option!r}")
            index += 1
            continue
        if index + 1 >= len(rest):
            errors.append(f"cli: {option} has no value")
            break
        member = CLI_OPTIONS[option]
        if member in params:
            errors.append(f"cli: {option} given twice")
        value = rest[index + 1]
        if member == "LifecycleConfiguration":
            value, error = parse_json(value, "cli: --lifecycle-configuration")
            if error:
                errors.append(error)
        params[member] = value
        index += 2
    return params, errors


def check_case(case, shape):
    """Errors in one case object."""
    unknown = set(case) - {"name", "bucket", "configuration", "transition_default_minimum_object_size", "cli"}
    errors = [f"unknown case field {key!r}" for key in sorted(unknown)]
    if "bucket" not in case or "configuration" not in case:
        return errors + ["a case needs `bucket` and `configuration`"]
    configuration, error = parse_json(case["configuration"], "configuration")
    if error:
        return errors + [error]
    params = {"Bucket": case["bucket"], "LifecycleConfiguration": configuration}
    size = case.get("transition_default_minimum_object_size")
    if size is not None:
        params["TransitionDefaultMinimumObjectSize"] = size
    errors.extend(validate_params(params, shape))
    if "cli" in case:
        sent, cli_errors = cli_params(case["cli"])
        errors.extend(cli_errors)
        if sent is not None:
            for member in ("Bucket", "LifecycleConfiguration", "TransitionDefaultMinimumObjectSize"):
                if canonical(sent.get(member)) != canonical(params.get(member)):
                    errors.append(
                        f"cli: {member} is {json.dumps(sent.get(member))}, expected {json.dumps(params.get(member))}"
                    )
            errors.extend(f"cli: {e}" for e in validate_params(sent, shape))
    return errors


def check_document(document, shape):
    """Errors in one document (a case, or a bare LifecycleConfiguration)."""
    if isinstance(document, dict) and "configuration" in document:
        return check_case(document, shape)
    params = {"Bucket": PLACEHOLDER_BUCKET, "LifecycleConfiguration": document}
    return validate_params(params, shape)


def documents(path):
    """(name, document) pairs in the file at `path`, or raises ValueError."""
    text = sys.stdin.read() if path == "-" else open(path, encoding="utf-8").read()
    label = "<stdin>" if path == "-" else path
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"{label}: not JSON: {error}") from error
    items = value if isinstance(value, list) else [value]
    for index, item in enumerate(items):
        default = f"{label}[{index}]" if isinstance(value, list) else label
        name = item.get("name", default) if isinstance(item, dict) else default
        yield str(name), item


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        sys.stdout.write(__doc__)
        return 0 if argv else 2
    shape = input_shape()
    checked, failed = 0, 0
    for path in argv:
        try:
            pairs = list(documents(path))
        except (OSError, ValueError) as error:
            sys.stderr.write(f"validate_s3_lifecycle.py: {error}\n")
            return 2
        for name, document in pairs:
            checked += 1
            errors = check_document(document, shape)
            if errors:
                failed += 1
            for error in errors:
                print(f"{name}: {error}")
    print(f"{checked} document(s) checked against botocore {botocore.__version__}'s {OPERATION}: {failed} with errors")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
