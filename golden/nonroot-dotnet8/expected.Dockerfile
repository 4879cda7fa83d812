FROM mcr.microsoft.com/dotnet/aspnet:8.0
WORKDIR /app
COPY out/ .
RUN chown 1654:1654 /app
USER 1654:1654
ENTRYPOINT ["dotnet", "Web.dll"]
