from veil.storage.migrations.env import run

run("keys")
