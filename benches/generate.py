#!/usr/bin/env python3
"""Generates the large inputs of benches/scale.sh (nothing here is checked in as data).

    benches/generate.py large N OUT_FILE     one compose file with N services (~2 KB each)
    benches/generate.py tree N OUT_DIR       N project directories, each a compose.yaml
                                             (every fourth with a compose.override.yaml)
    benches/generate.py extends N OUT_FILE   one base service and N services extending it
    benches/generate.py secrets N OUT_FILE   N small services (`nginx:latest`, a literal
                                             PASSWORD): every pack finds several fixes in each

The `large` services are the ones of benches/document.rs (`generated`): 36 environment
entries with comments, quoted ports, a flow sequence of volumes and a block scalar; the
`production` policy finds something to fix in each of them. Host ports are unique (up to
27,000 services) and the named volume is declared, so the file validates and `fix` runs.
"""
import os
import sys


def large(n, out):
    with open(out, "w") as f:
        f.write("# generated for benchmarks\nservices:\n")
        for i in range(n):
            f.write(
                f'  svc-{i}:\n    image: "registry.example.com/team/app-{i}:1.2.3"\n'
                f"    container_name: app-{i}\n    restart: unless-stopped\n    ports:\n"
                f'      - "{10000 + 2 * i}:80"\n      - \'{10001 + 2 * i}:443\'\n'
                "    environment:\n"
            )
            for j in range(36):
                f.write(f'      KEY_{j}: "value-{i}-{j}" # setting {j}\n')
            f.write(
                f'    labels:\n      - "traefik.http.routers.app{i}.rule=Host(`app{i}.example.com`)"\n'
                f'    volumes: [./data/{i}:/data, logs:/var/log]\n    command: ["serve", "--port", "80"]\n'
                f"    healthcheck:\n      test: |\n        curl -f http://localhost/{i}\n"
                "      interval: 30s\n\n"
            )
        f.write("volumes:\n  logs:\n")


PROJECT = """\
services:
  web:
    image: nginx:latest
    ports:
      - "80:80"
    depends_on:
      - api
    environment:
      MODE: "{i}"
  api:
    image: "registry.example.com/api:{i}.0"
    restart: always
    volumes:
      - ./data:/data
"""

OVERRIDE = """\
services:
  web:
    environment:
      DEBUG: "1"
"""


def tree(n, out):
    # 100 projects per directory, like a monorepo of teams and apps.
    for i in range(n):
        d = os.path.join(out, f"team-{i // 100}", f"app-{i}")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "compose.yaml"), "w") as f:
            f.write(PROJECT.format(i=i))
        if i % 4 == 0:
            with open(os.path.join(d, "compose.override.yaml"), "w") as f:
                f.write(OVERRIDE)


def extends(n, out):
    with open(out, "w") as f:
        f.write(
            "services:\n  base:\n    image: nginx:1.27\n    restart: always\n"
            "    environment:\n      A: \"1\"\n      B: \"2\"\n    ports:\n      - \"80\"\n"
        )
        for i in range(n):
            f.write(
                f"  svc-{i}:\n    extends: base\n    environment:\n      ID: \"{i}\"\n"
            )


def secrets(n, out):
    # The input of the scaling ratio that tests/it/robustness.rs once timed (1k vs 8k).
    with open(out, "w") as f:
        f.write("services:\n")
        for i in range(n):
            f.write(
                f"  s{i}:\n    image: nginx:latest\n    environment:\n      PASSWORD: hunter{i}\n"
            )


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in ("large", "tree", "extends", "secrets"):
        sys.exit(__doc__)
    {"large": large, "tree": tree, "extends": extends, "secrets": secrets}[sys.argv[1]](int(sys.argv[2]), sys.argv[3])
