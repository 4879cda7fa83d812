import psycopg2
import psycopg2.extensions

print("psycopg2", psycopg2.__version__, "libpq", psycopg2.extensions.libpq_version())
