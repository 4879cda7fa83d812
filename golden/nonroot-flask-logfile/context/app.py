import logging

from flask import Flask

logging.basicConfig(filename="api.log", level=logging.INFO)
app = Flask(__name__)


@app.get("/")
def index():
    logging.info("hit /")
    return "ok"


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=5000)
