import psycopg2
import psycopg2.extensions
from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/version")
def version():
    # libpq is loaded by the compiled extension: this fails if the runtime lacks libpq5
    return jsonify(psycopg2=psycopg2.__version__.split()[0], libpq=psycopg2.extensions.libpq_version())


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=8000)
