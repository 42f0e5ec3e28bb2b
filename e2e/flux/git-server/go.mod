module ratings.local/flux/git-server

go 1.26.0
