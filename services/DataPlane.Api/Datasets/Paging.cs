using System.Globalization;
using HoneyHive.ServiceDefaults;

namespace HoneyHive.DataPlane.Api.Datasets;

/// <summary><c>limit</c> and <c>page</c> (from 1) of a list; without a limit a list returns its largest page.</summary>
public readonly record struct Paging(int Limit, int Offset)
{
    public static Paging From(string? limit, string? page, int maxLimit)
    {
        var size = maxLimit;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out size) || size < 1 || size > maxLimit))
            throw ApiRequestException.BadRequest("limit", $"limit is a whole number between 1 and {maxLimit}.");
        var number = 1;
        if (page is not null && (!int.TryParse(page, NumberStyles.None, CultureInfo.InvariantCulture, out number) || number < 1))
            throw ApiRequestException.BadRequest("page", "page is a whole number from 1.");
        var offset = (long)(number - 1) * size;
        if (offset > int.MaxValue) throw ApiRequestException.BadRequest("page", "page is too large.");
        return new Paging(size, (int)offset);
    }
}
