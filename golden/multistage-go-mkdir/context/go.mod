module example.com/acme/hello

go 1.22
