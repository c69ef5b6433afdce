from tests.support.terraform import terraform_cli  # noqa: F401  (the fixture)
