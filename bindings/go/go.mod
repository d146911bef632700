module github.com/faissx/faissx/bindings/go

go 1.22
