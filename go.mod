module github.com/callscribe/callscribe

go 1.26.8
